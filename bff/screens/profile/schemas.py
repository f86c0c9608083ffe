"""The Profile answer (APP-PROFILE-01) in blocks: account, current premise, entries, People, purchases;
and the rows of its SQL statement."""

from __future__ import annotations

from bff.brands.schemas import BrandView
from bff.screens.purchases.schemas import LotItem
from web.schemas import Output


class AccountBlock(Output, kw_only=True):
    name: str | None = None
    photo_url: str | None = None


class CurrentPremise(Output, kw_only=True):
    id: str
    address: str
    type: str
    title: str
    object_name: str
    can_switch: bool


class Entries(Output, kw_only=True):
    """Which entries the Profile shows (APP-PROFILE-01); the app hides those that are false."""

    my_orders: bool
    subscription: bool
    premise_info: bool
    insurance: bool
    pets: bool
    transport: bool
    about_app: bool = True
    notifications: bool = True
    my_data: bool = True


class PeopleBlock(Output, kw_only=True):
    count: int
    premise_id: str | None = None
    all_entry: bool = True


class PurchasesBlock(Output, kw_only=True):
    items: list[LotItem]
    total: int
    all_entry: bool = True


class ProfileScreen(Output, kw_only=True):
    account: AccountBlock
    unread_notifications: int
    brand: BrandView | None = None
    current_premise: CurrentPremise | None = None
    entries: Entries
    people: PeopleBlock
    purchases: PurchasesBlock | None = None


class ProfileAccountRow(Output, kw_only=True):
    type: str
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    name: str | None = None
    photo_url: str | None = None


class ProfilePremiseRow(Output, kw_only=True):
    id: str
    address: str
    type: str
    object_name: str


class ProfileRow(Output, kw_only=True):
    account: ProfileAccountRow
    unread: int
    brand: BrandView | None = None
    products: list[str]
    premises: int
    current: ProfilePremiseRow | None = None
    lots: list[LotItem]
    lots_total: int
    people: int
