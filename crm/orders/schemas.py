"""Bodies of orders: create and change requests from the feeds, the card, and the rows of the staff's
inbox (client data masked per STAFF-02)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from web.schemas import Id, Input, LongText, Output

OrderKind = Literal["requests", "services", "events"]
# Requests and services use the first seven, event registrations the last four (cancelled is shared).
OrderStatus = Literal["waiting", "in_progress", "paused", "approval", "needs_clarification", "done", "cancelled",
                      "planned", "ongoing", "finished"]
Title = Annotated[str, Meta(min_length=1, max_length=300)]
Rating = Annotated[int, Meta(ge=1, le=5)]


class CreateOrderRequest(Input, kw_only=True):
    kind: OrderKind
    premise_id: Id
    client_id: Id
    title: Title
    status: OrderStatus


class UpdateOrderRequest(Input, kw_only=True):
    status: OrderStatus | UnsetType = UNSET
    staff_comment: LongText | None | UnsetType = UNSET
    rating: Rating | None | UnsetType = UNSET


class OrderCreated(Output, kw_only=True):
    id: str
    number: int


class OrderCard(Output, kw_only=True):
    id: str
    number: int
    kind: str
    title: str
    status: str
    premise_id: str | None
    client_id: str
    staff_comment: str | None
    rating: int | None
    created_at: datetime
    updated_at: datetime
    changed_for_client_at: datetime | None
    unseen_by_staff: bool = False


OrderSort = Literal["created_at", "-created_at", "updated_at", "-updated_at", "number", "-number"]


class OrderRow(Output, kw_only=True):
    """One line of the staff's orders inbox; the client's name and phone follow the PII permissions."""

    id: str
    number: int
    kind: str
    title: str
    status: str
    premise_id: str | None
    address: str | None
    client_id: str
    client_name: str | None
    client_phone: str | None
    created_at: datetime
    updated_at: datetime
    # A new order or a resident's change no staff member has opened yet.
    unseen_by_staff: bool


class OrderList(Output, kw_only=True):
    items: list[OrderRow]
    next_cursor: str | None
