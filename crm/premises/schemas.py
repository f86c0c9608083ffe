"""Bodies of premises (CRM-PREM-01..03), their client links (CRM-LINK-01) and personal accounts: requests,
cards and list rows."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from web.schemas import Id, Input, Output

PremiseType = Literal["apartment", "parking_space", "storage", "apartments", "non_residential", "house",
                      "townhouse", "duplex", "room", "land"]
LinkRole = Literal["owner", "resident", "representative", "tenant", "unconfirmed_owner"]
Street = Annotated[str, Meta(min_length=1, max_length=300)]
Short = Annotated[str, Meta(min_length=1, max_length=50)]
Floor = Annotated[int, Meta(ge=-20, le=500)]
Rooms = Annotated[int, Meta(ge=0, le=100)]
Tag = Annotated[str, Meta(min_length=1, max_length=50)]
Tags = Annotated[list[Tag], Meta(max_length=50)]
Note = Annotated[str, Meta(max_length=5000)]
ExternalId = Annotated[str, Meta(min_length=1, max_length=200)]
DocNumber = Annotated[str, Meta(max_length=100)]
RentDay = Annotated[int, Meta(ge=1, le=31)]
Share = Annotated[Decimal, Meta()]


class CreatePremiseRequest(Input, kw_only=True):
    object_id: Id
    type: PremiseType
    street: Street
    house: Short
    number: Short
    building: Short | None = None
    entrance: Annotated[str, Meta(max_length=20)] | None = None
    floor: Floor | None = None
    total_area: Decimal | None = None
    living_area: Decimal | None = None
    rooms: Rooms | None = None
    online_payment: bool | None = None
    note: Note | None = None
    tags: Tags = []
    external_id: ExternalId | None = None


class UpdatePremiseRequest(Input, kw_only=True):
    object_id: Id | UnsetType = UNSET
    type: PremiseType | UnsetType = UNSET
    street: Street | UnsetType = UNSET
    house: Short | UnsetType = UNSET
    number: Short | UnsetType = UNSET
    building: Short | None | UnsetType = UNSET
    entrance: Annotated[str, Meta(max_length=20)] | None | UnsetType = UNSET
    floor: Floor | None | UnsetType = UNSET
    total_area: Decimal | None | UnsetType = UNSET
    living_area: Decimal | None | UnsetType = UNSET
    rooms: Rooms | None | UnsetType = UNSET
    online_payment: bool | UnsetType = UNSET
    note: Note | None | UnsetType = UNSET
    tags: Tags | UnsetType = UNSET
    external_id: ExternalId | None | UnsetType = UNSET


class LinkView(Output, kw_only=True):
    client_id: str
    full_name: str | None
    phone: str | None
    role: str
    depends_on_client_id: str | None
    share: Decimal | None
    ddu_number: str | None
    ddu_date: date | None
    acceptance_act_number: str | None
    acceptance_act_date: date | None
    certificate_number: str | None
    certificate_date: date | None
    management_contract_number: str | None
    management_contract_date: date | None
    staff_comment: str | None
    online_payment: bool
    keep_on_integration: bool
    rent_day: int | None
    added_by: Literal["staff", "app", "integration"]
    linked_at: datetime


class AccountView(Output, kw_only=True):
    id: str
    number: str
    legal_entity: str | None
    els: str | None
    external_id: str | None
    hidden_in_app: bool


class PremiseCard(Output, kw_only=True):
    id: str
    object_id: str
    object_name: str
    type: str
    address: str
    street: str
    house: str
    building: str | None
    entrance: str | None
    floor: int
    number: str
    total_area: Decimal | None
    living_area: Decimal | None
    rooms: int | None
    online_payment: bool
    effective_online_payment: bool
    note: str | None
    tags: list[str]
    external_id: str | None
    created_at: datetime
    updated_at: datetime
    clients: list[LinkView]
    accounts: list[AccountView]


class PremiseClientBrief(Output, kw_only=True):
    client_id: str
    full_name: str | None
    role: str


class PremiseRow(Output, kw_only=True):
    id: str
    address: str
    object_id: str
    object_name: str
    type: str
    entrance: str | None
    floor: int
    number: str
    total_area: Decimal | None
    living_area: Decimal | None
    tags: list[str]
    external_id: str | None
    clients: list[PremiseClientBrief]
    personal_accounts: list[str]


class PremiseList(Output, kw_only=True):
    items: list[PremiseRow]
    next_cursor: str | None


class LinkFields(Input, kw_only=True):
    share: Share | None | UnsetType = UNSET
    ddu_number: DocNumber | None | UnsetType = UNSET
    ddu_date: date | None | UnsetType = UNSET
    acceptance_act_number: DocNumber | None | UnsetType = UNSET
    acceptance_act_date: date | None | UnsetType = UNSET
    certificate_number: DocNumber | None | UnsetType = UNSET
    certificate_date: date | None | UnsetType = UNSET
    management_contract_number: DocNumber | None | UnsetType = UNSET
    management_contract_date: date | None | UnsetType = UNSET
    staff_comment: Note | None | UnsetType = UNSET
    online_payment: bool | UnsetType = UNSET
    keep_on_integration: bool | UnsetType = UNSET
    rent_day: RentDay | None | UnsetType = UNSET


class AddPremiseClientRequest(LinkFields, kw_only=True):
    client_id: Id
    role: LinkRole
    depends_on_client_id: Id | None = None


class UpdatePremiseClientRequest(LinkFields, kw_only=True):
    role: LinkRole | UnsetType = UNSET
    depends_on_client_id: Id | None | UnsetType = UNSET


class CreateAccountRequest(Input, kw_only=True):
    number: Annotated[str, Meta(min_length=1, max_length=100)]
    legal_entity: Annotated[str, Meta(max_length=300)] | None = None
    els: Annotated[str, Meta(max_length=20)] | None = None
    external_id: ExternalId | None = None
    hidden_in_app: bool | None = None


class UpdateAccountRequest(Input, kw_only=True):
    number: Annotated[str, Meta(min_length=1, max_length=100)] | UnsetType = UNSET
    legal_entity: Annotated[str, Meta(max_length=300)] | None | UnsetType = UNSET
    els: Annotated[str, Meta(max_length=20)] | None | UnsetType = UNSET
    external_id: ExternalId | None | UnsetType = UNSET
    hidden_in_app: bool | UnsetType = UNSET
