"""The My Premises answer (APP-PREM-01/02/03/05): premise items, pending requests, quick pay, the empty
state; and the rows of its SQL statement."""

from __future__ import annotations

from datetime import datetime

from bff.brands.schemas import BrandItem, BrandView
from web.schemas import Output


class PremiseItem(Output, kw_only=True):
    id: str
    address: str
    object_name: str
    object_image_url: str | None = None
    type: str
    type_label: str
    brand_slug: str | None = None
    brand_icon_url: str | None = None
    unread_notifications: int
    bills_due: str
    online_payment: bool
    current: bool
    # APP-PREM-02: a branded app lists other brands' premises but cannot switch to them.
    switchable: bool


class PremiseRequestItem(Output, kw_only=True):
    id: str
    status: str
    address: str | None = None
    number: str | None = None
    role: str | None = None
    object_name: str | None = None
    created_at: datetime


class QuickPay(Output, kw_only=True):
    """APP-PREM-05: the total due over the premises that can be paid online (object, premise and
    the resident's link allow it), payable at once; what is due elsewhere stays on its own line
    (`bills_due` of the item, whose `online_payment` is false) and is summed in `not_payable_due`."""

    total_due: str
    payable: bool
    premise_ids: list[str]
    not_payable_due: str


class EmptyState(Output, kw_only=True):
    title: str
    can_add_request: bool = True


class MyPremisesScreen(Output, kw_only=True):
    brand: BrandView | None = None
    can_switch_brand: bool
    brands: list[BrandItem]
    items: list[PremiseItem]
    requests: list[PremiseRequestItem]
    quick_pay: QuickPay
    can_add_request: bool = True
    empty_state: EmptyState | None = None


class PremiseRow(Output, kw_only=True):
    id: str
    address: str
    object_name: str
    object_image_url: str | None = None
    type: str
    brand_slug: str | None = None
    brand_icon_url: str | None = None
    unread_notifications: int
    bills_due: str
    online_payment: bool
    switchable: bool | None = None


class MyPremisesRow(Output, kw_only=True):
    brand: BrandView | None = None
    unified: bool
    brands: list[BrandItem]
    current_premise_id: str | None = None
    items: list[PremiseRow]
    requests: list[PremiseRequestItem]
    total_due: str
    not_payable_due: str
