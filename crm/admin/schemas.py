"""Bodies of the platform admin: partners and their products, brands, roles and permissions (SPEC
section 7), staff and API keys."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from web.schemas import Color, Email, Input, Output, ShortText, Slug, Url

PartnerKind = Literal["management", "developer", "both"]
Product = Literal["requests", "marketplace", "events", "showcase", "insurance", "pets", "transport",
                  "subscription", "payments", "meters"]
Permission = Literal["premises.edit", "clients.edit", "clients.pii.name", "clients.pii.contacts",
                     "clients.activity", "clients.tags.edit", "reports.clients",
                     "reports.registration_requests", "sessions.manage", "mailings.send"]


class CreatePartnerRequest(Input, kw_only=True):
    name: ShortText
    kind: PartnerKind
    products: Annotated[list[Product], Meta(max_length=20)] = []


class UpdatePartnerRequest(Input, kw_only=True):
    products: list[Product] | UnsetType = UNSET
    default_brand_slug: Slug | UnsetType = UNSET


class PartnerCard(Output, kw_only=True):
    id: str
    name: str
    kind: str
    products: list[str]
    default_brand_id: str | None


class BrandColors(Input, kw_only=True):
    primary: Color
    secondary: Color
    accent: Color
    background: Color
    text: Color


class CreateBrandRequest(Input, kw_only=True):
    slug: Slug
    name: ShortText
    colors: BrandColors
    icon_url: Url
    logo_url: Url | None = None
    app_url: Url | None = None  # the white-label app's install link, shared as the app's invite link


class BrandCreated(Output, kw_only=True):
    id: str
    slug: str


class CreateRoleRequest(Input, kw_only=True):
    name: ShortText
    permissions: Annotated[list[Permission], Meta(max_length=50)] = []


class CreateStaffRequest(Input, kw_only=True):
    email: Email
    password: Annotated[str, Meta(min_length=8, max_length=200)]
    name: ShortText
    role_id: Annotated[str, Meta(min_length=1, max_length=64)]


class CreateApiKeyRequest(Input, kw_only=True):
    name: ShortText


class ApiKeyCreated(Output, kw_only=True):
    id: str
    key: str


class ApiKeyItem(Output, kw_only=True):
    id: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyList(Output, kw_only=True):
    items: list[ApiKeyItem]
    next_cursor: str | None


class StaffItem(Output, kw_only=True):
    id: str
    email: str
    name: str
    role_id: str
    active: bool
    created_at: datetime


class StaffList(Output, kw_only=True):
    items: list[StaffItem]
    next_cursor: str | None


class UpdateStaffRequest(Input, kw_only=True):
    active: bool | UnsetType = UNSET
    role_id: Annotated[str, Meta(min_length=1, max_length=64)] | UnsetType = UNSET
    name: ShortText | UnsetType = UNSET


class RoleItem(Output, kw_only=True):
    id: str
    name: str
    permissions: list[str]
    created_at: datetime


class RoleList(Output, kw_only=True):
    items: list[RoleItem]
    next_cursor: str | None


class UpdateRoleRequest(Input, kw_only=True):
    name: ShortText | UnsetType = UNSET
    permissions: Annotated[list[Permission], Meta(max_length=50)] | UnsetType = UNSET
