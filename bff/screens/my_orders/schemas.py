"""The My Orders answer (APP-ORD-01..03): tabs, premises to pick, order groups, the empty state; and the
row of its SQL statement."""

from __future__ import annotations

from datetime import datetime

from bff.brands.schemas import BrandView
from web.schemas import Output


class OrderTab(Output, kw_only=True):
    key: str
    title: str


class OrderItem(Output, kw_only=True):
    id: str
    number: int
    title: str
    status: str
    status_label: str = ""
    unseen_changes: bool
    rating: int | None = None
    created_at: datetime


class OrderGroup(Output, kw_only=True):
    name: str  # active | archive | all
    total: int
    items: list[OrderItem]


class PremiseChoice(Output, kw_only=True):
    id: str
    address: str
    selected: bool


class OrdersEmptyState(Output, kw_only=True):
    title: str
    buttons: list[str]  # services | events


class MyOrdersScreen(Output, kw_only=True):
    """APP-ORD-01..03."""

    brand: BrandView | None = None
    tabs: list[OrderTab]
    tab: str | None = None
    sort: str
    premise_id: str | None = None
    premises: list[PremiseChoice]
    groups: list[OrderGroup]
    empty_state: OrdersEmptyState | None = None


class PremiseOption(Output, kw_only=True):
    id: str
    address: str


class MyOrdersRow(Output, kw_only=True):
    brand: BrandView | None = None
    products: list[str]
    tab: str | None = None
    premise_id: str | None = None
    premises: list[PremiseOption]
    partner_products: list[str] | None = None
    events_on: bool
    groups: list[OrderGroup]
