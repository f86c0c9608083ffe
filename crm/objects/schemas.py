"""Bodies of objects, object groups and quarters: create and change requests, the card and the lists."""

from __future__ import annotations

from typing import Annotated

from msgspec import UNSET, Meta, UnsetType

from web.schemas import Id, Input, Output, ShortText, Slug, Url

Address = Annotated[str, Meta(min_length=1, max_length=500)]
PostalCode = Annotated[str, Meta(pattern=r"^\d{6}$")]
ExternalId = Annotated[str, Meta(min_length=1, max_length=200)]


class CreateObjectRequest(Input, kw_only=True):
    name: ShortText
    address: Address
    postal_code: PostalCode | None = None
    image_url: Url | None = None
    brand_slug: Slug | None = None
    online_payment: bool | None = None
    object_group_id: Id | None = None
    quarter_id: Id | None = None
    external_id: ExternalId | None = None


class UpdateObjectRequest(Input, kw_only=True):
    name: ShortText | UnsetType = UNSET
    address: Address | UnsetType = UNSET
    postal_code: PostalCode | None | UnsetType = UNSET
    image_url: Url | None | UnsetType = UNSET
    brand_slug: Slug | None | UnsetType = UNSET
    online_payment: bool | UnsetType = UNSET
    object_group_id: Id | None | UnsetType = UNSET
    quarter_id: Id | None | UnsetType = UNSET
    external_id: ExternalId | None | UnsetType = UNSET


class ObjectCard(Output, kw_only=True):
    id: str
    name: str
    address: str
    postal_code: str | None
    image_url: str | None
    brand_id: str | None
    online_payment: bool
    object_group_id: str | None
    quarter_id: str | None
    external_id: str | None


class ObjectList(Output, kw_only=True):
    items: list[ObjectCard]
    next_cursor: str | None


class CreateGroupRequest(Input, kw_only=True):
    name: ShortText
    object_group_id: Id | None = None


class GroupItem(Output, kw_only=True):
    id: str
    name: str


class GroupList(Output, kw_only=True):
    items: list[GroupItem]
    next_cursor: str | None = None
