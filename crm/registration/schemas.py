"""Bodies of registration requests and showcase leads (STAFF-05): the list (masked per STAFF-02),
approve and reject, a new lead."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from web.schemas import Id, Input, LongText, Output, Phone

RequestKind = Literal["premise_request", "showcase_lead"]
RequestStatus = Literal["pending", "approved", "rejected"]
LinkRole = Literal["owner", "resident", "representative", "tenant", "unconfirmed_owner"]


class RegistrationRequestItem(Output, kw_only=True):
    """Name and phone are masked without clients.pii.name / clients.pii.contacts (STAFF-02)."""

    id: str
    kind: str
    status: str
    phone: str | None
    full_name: str | None
    account_id: str | None
    object_id: str | None
    address: str | None
    number: str | None
    role: str | None
    comment: str | None
    created_at: datetime
    decided_at: datetime | None


class RegistrationRequestList(Output, kw_only=True):
    items: list[RegistrationRequestItem]
    next_cursor: str | None


class ApproveRequest(Input, kw_only=True):
    premise_id: Id
    role: LinkRole
    depends_on_client_id: Id | None = None
    rent_day: Annotated[int, Meta(ge=1, le=31)] | None = None


class Approved(Output, kw_only=True):
    id: str
    status: str
    client_id: str
    premise_id: str
    role: str


class RejectRequest(Input, kw_only=True):
    reason: Annotated[str, Meta(max_length=1000)] | None = None


class Decided(Output, kw_only=True):
    id: str
    status: str


class CreateLeadRequest(Input, kw_only=True):
    phone: Phone
    name: Annotated[str, Meta(max_length=300)] | None = None
    object_id: Id | None = None
    comment: LongText | None = None


class LeadCreated(Output, kw_only=True):
    id: str
    created: bool
