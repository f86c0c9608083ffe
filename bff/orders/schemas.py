"""Request and answer bodies of the app's orders: a new request, a rating and the order card (APP-ORD-02)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from msgspec import Meta

from web.schemas import Id, LenientInput, Output, ShortText


class CreateOrderRequest(LenientInput, kw_only=True):
    premise_id: Id
    kind: Literal["requests", "services"] = "requests"
    title: ShortText


class RateOrderRequest(LenientInput, kw_only=True):
    rating: Annotated[int, Meta(ge=1, le=5)]


class CreatedOrder(Output, kw_only=True):
    id: str
    number: int
    status: str


class OrderCard(Output, kw_only=True):
    id: str
    number: int
    kind: str
    title: str
    status: str
    status_label: str
    active: bool
    premise_id: str | None = None
    staff_comment: str | None = None
    rating: int | None = None
    can_rate: bool
    unseen_changes: bool
    created_at: datetime
    updated_at: datetime
