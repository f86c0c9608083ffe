"""Examples in the OpenAPI document for what app developers and 1C integrators start from: the
Profile and My Premises screens, and the import batches with their answers.

Built from the answers' own Structs, so an example that no longer fits its schema fails at start
(and in the tests) instead of misleading a reader."""

from __future__ import annotations

from typing import Any

import msgspec

from bff.brands.schemas import BrandColors, BrandItem, BrandView
from bff.screens.my_premises.schemas import MyPremisesScreen, PremiseItem, QuickPay
from bff.screens.profile.schemas import (
    AccountBlock,
    CurrentPremise,
    Entries,
    PeopleBlock,
    ProfileScreen,
)
from core.imports.service import AccountItem, ClientItem, PremiseClientItem
from core.imports.service import PremiseItem as ImportPremiseItem

PREMISE = "0b6a1d3e-5c7f-4e2a-9d41-3f8e2a6c9b10"
OTHER_PREMISE = "7d2c9e14-0a6b-4f3d-8e25-1c9b4a7f6e02"
OBJECT = "5e8f0c21-9b3a-4d6e-a1f7-2c4b8d0e6a93"
BRAND = BrandView(slug="komfort", name="Комфорт", colors=BrandColors(primary="#1E6FD9", secondary="#E8F1FD",
                                                                      accent="#F5A623", background="#FFFFFF",
                                                                      text="#1A1A1A"),
                  icon_url="https://cdn.example.com/komfort/icon.png", products=["requests", "marketplace", "events"])

PROFILE = ProfileScreen(
    account=AccountBlock(name="Иванова Анна Сергеевна", photo_url=None), unread_notifications=2, brand=BRAND,
    current_premise=CurrentPremise(id=PREMISE, address="ул. Ленина, д. 5, кв. 12", type="apartment",
                                   title="Моя квартира", object_name="ЖК Солнечный", can_switch=True),
    entries=Entries(my_orders=True, subscription=False, premise_info=True, insurance=False, pets=False,
                    transport=False),
    people=PeopleBlock(count=3, premise_id=PREMISE))

MY_PREMISES = MyPremisesScreen(
    brand=BRAND, can_switch_brand=False,
    brands=[BrandItem(slug="komfort", name="Комфорт", icon_url=BRAND.icon_url, current=True)],
    items=[PremiseItem(id=PREMISE, address="ул. Ленина, д. 5, кв. 12", object_name="ЖК Солнечный",
                       object_image_url="https://cdn.example.com/objects/solnechny.jpg", type="apartment",
                       type_label="Квартира", brand_slug="komfort", brand_icon_url=BRAND.icon_url,
                       unread_notifications=2, bills_due="1520.00", online_payment=True, current=True,
                       switchable=True),
           PremiseItem(id=OTHER_PREMISE, address="ул. Ленина, д. 5, м/м 41", object_name="ЖК Солнечный",
                       type="parking_space", type_label="Машиноместо", brand_slug="komfort",
                       brand_icon_url=BRAND.icon_url, unread_notifications=0, bills_due="800.00",
                       online_payment=False, current=False, switchable=True)],
    requests=[], quick_pay=QuickPay(total_due="1520.00", payable=True, premise_ids=[PREMISE],
                                    not_payable_due="800.00"))

CLIENTS_BATCH = {"items": [ClientItem(external_id="1C-100", phone="+7 916 555-01-00", last_name="Иванова",
                                      first_name="Анна", middle_name="Сергеевна", email="anna@example.com")]}
PREMISES_BATCH = {"items": [ImportPremiseItem(
    external_id="P-100", object_id=OBJECT, type="apartment", street="Ленина", house="5", number="12", entrance="2",
    floor=7, total_area="54.3", living_area="32.1", rooms=2,
    accounts=[AccountItem(external_id="LS-100", number="0100100", els="12АБ345678")],
    clients=[PremiseClientItem(external_id="1C-100", phone="+7 916 555-01-00", last_name="Иванова",
                               first_name="Анна", role="owner", share="1"),
             PremiseClientItem(external_id="1C-101", phone="8 916 555-01-01", last_name="Иванов",
                               first_name="Пётр", role="resident")])]}
CLIENTS_ANSWER = {"results": [{"index": 0, "status": "created", "client_id": "3f1e6a2b-8c4d-4b7e-9a10-6d2c5e8f1a47"}]}
PREMISES_ANSWER = {"results": [{
    "index": 0, "status": "created", "premise_id": PREMISE,
    "clients": [{"index": 0, "status": "created", "client_id": "3f1e6a2b-8c4d-4b7e-9a10-6d2c5e8f1a47"},
                {"index": 1, "status": "error", "code": "client_logged_in",
                 "detail": "Невозможно изменить номер телефона, так как клиент уже выполнил вход в личный кабинет"}]}]}

# (path, method) -> (request example, answer example)
EXAMPLES: dict[tuple[str, str], tuple[Any, Any]] = {
    ("/app/v1/screens/profile", "get"): (None, PROFILE),
    ("/app/v1/screens/my-premises", "get"): (None, MY_PREMISES),
    ("/crm/v1/import/clients", "post"): (CLIENTS_BATCH, CLIENTS_ANSWER),
    ("/crm/v1/import/premises", "post"): (PREMISES_BATCH, PREMISES_ANSWER),
}


def as_json(value: Any) -> Any:
    """The example as JSON, without the optional fields it leaves empty."""
    def drop_none(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: drop_none(item) for key, item in node.items() if item is not None}
        if isinstance(node, list):
            return [drop_none(item) for item in node]
        return node

    return drop_none(msgspec.to_builtins(value))
