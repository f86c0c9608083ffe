"""The Purchases answer (APP-PURCH-01): lots, stage tabs, brands to switch to, the empty state; and the
row of its SQL statement."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bff.brands.schemas import BrandItem, BrandView
from web.schemas import Output


class LotItem(Output, kw_only=True):
    id: str
    title: str
    stage: str
    stage_label: str = ""
    object_name: str
    price: str | None = None
    characteristics: dict[str, Any]
    updated_at: datetime


class Tab(Output, kw_only=True):
    key: str
    title: str
    count: int


class PurchasesEmptyState(Output, kw_only=True):
    title: str
    showcase_button: bool


class PurchasesScreen(Output, kw_only=True):
    """APP-PURCH-01: lots of the current brand only, by stage; the showcase brands to switch to."""

    brand: BrandView | None = None
    can_switch_brand: bool
    brands: list[BrandItem]
    tabs: list[Tab]
    tab: str
    items: list[LotItem]
    empty_state: PurchasesEmptyState | None = None


class PurchasesRow(Output, kw_only=True):
    brand: BrandView | None = None
    unified: bool
    brands: list[BrandItem]
    counts: dict[str, int]
    items: list[LotItem]
