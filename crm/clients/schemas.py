"""Bodies of client cards (CRM-CLI-01..04, CRM-VAL-01): create and change requests, the list rows and
the card, personal data masked per STAFF-02."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from web.schemas import Email, Input, Output, Phone

ClientType = Literal["individual", "sole_proprietor", "legal_entity", "foreign_branch"]
Gender = Literal["male", "female"]
Status = Literal["active", "blocked"]
NamePart = Annotated[str, Meta(min_length=1, max_length=100)]
Text = Annotated[str, Meta(max_length=500)]
Tag = Annotated[str, Meta(min_length=1, max_length=50)]


class ExternalIdInput(Input, kw_only=True):
    value: Annotated[str, Meta(min_length=1, max_length=200)]
    note: Annotated[str, Meta(max_length=500)] | None = None


class Passport(Input, kw_only=True):
    series: Annotated[str, Meta(max_length=10)] | None = None
    number: Annotated[str, Meta(max_length=20)] | None = None
    issued_by: Text | None = None
    issued_on: date | None = None
    division_code: Annotated[str, Meta(max_length=10)] | None = None


class CreateClientRequest(Input, kw_only=True):
    type: ClientType = "individual"
    last_name: NamePart | None = None
    first_name: NamePart | None = None
    middle_name: NamePart | None = None
    organization_name: Annotated[str, Meta(min_length=1, max_length=300)] | None = None
    tax_form: Annotated[str, Meta(max_length=50)] | None = None
    phone: Phone | None = None
    email: Email | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    passport: Passport | None = None
    registration_address: Text | None = None
    inn: Annotated[str, Meta(max_length=12)] | None = None
    snils: Annotated[str, Meta(max_length=14)] | None = None
    loyalty_card: Annotated[str, Meta(max_length=50)] | None = None
    note: Annotated[str, Meta(max_length=5000)] | None = None
    tags: Annotated[list[Tag], Meta(max_length=50)] = []
    status: Status | None = None
    is_tester: bool | None = None
    external_ids: Annotated[list[ExternalIdInput], Meta(max_length=20)] = []


class UpdateClientRequest(Input, kw_only=True):
    type: ClientType | UnsetType = UNSET
    last_name: NamePart | None | UnsetType = UNSET
    first_name: NamePart | None | UnsetType = UNSET
    middle_name: NamePart | None | UnsetType = UNSET
    organization_name: Annotated[str, Meta(min_length=1, max_length=300)] | None | UnsetType = UNSET
    tax_form: Annotated[str, Meta(max_length=50)] | None | UnsetType = UNSET
    phone: Phone | None | UnsetType = UNSET
    email: Email | None | UnsetType = UNSET
    gender: Gender | None | UnsetType = UNSET
    birth_date: date | None | UnsetType = UNSET
    passport: Passport | None | UnsetType = UNSET
    registration_address: Text | None | UnsetType = UNSET
    inn: Annotated[str, Meta(max_length=12)] | None | UnsetType = UNSET
    snils: Annotated[str, Meta(max_length=14)] | None | UnsetType = UNSET
    loyalty_card: Annotated[str, Meta(max_length=50)] | None | UnsetType = UNSET
    note: Annotated[str, Meta(max_length=5000)] | None | UnsetType = UNSET
    tags: Annotated[list[Tag], Meta(max_length=50)] | UnsetType = UNSET
    status: Status | UnsetType = UNSET
    is_tester: bool | UnsetType = UNSET
    external_ids: Annotated[list[ExternalIdInput], Meta(max_length=20)] | UnsetType = UNSET


class ExternalIdView(Output, kw_only=True):
    value: str
    note: str | None


class ClientPremise(Output, kw_only=True):
    premise_id: str
    address: str
    object_name: str
    role: str


class ClientRow(Output, kw_only=True):
    id: str
    full_name: str | None
    phone: str | None
    status: str
    premises: list[ClientPremise]
    last_visit_at: datetime | None


class ClientList(Output, kw_only=True):
    items: list[ClientRow]
    next_cursor: str | None


class ClientCard(Output, kw_only=True):
    id: str
    type: str
    full_name: str | None
    last_name: str | None
    first_name: str | None
    middle_name: str | None
    organization_name: str | None
    tax_form: str | None
    phone: str | None
    email: str | None
    gender: str | None
    birth_date: date | None
    passport: dict | None
    registration_address: str | None
    inn: str | None
    snils: str | None
    loyalty_card: str | None
    note: str | None
    tags: list[str]
    status: str
    is_tester: bool
    external_ids: list[ExternalIdView]
    premises: list[ClientPremise]
    has_logged_in: bool
    first_login_at: datetime | None
    last_visit_at: datetime | None
    app_name: str | None
    created_at: datetime
    updated_at: datetime
