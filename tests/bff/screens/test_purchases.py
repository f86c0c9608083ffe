"""Purchases: APP-PURCH-01."""

from __future__ import annotations

from tests.bff.screens.world import app_login, client_in, expect, give_premise, make_partner, next_phone
from tests.crm.estate import make_object


async def _lot(http, partner, client, obj, stage, title):
    expect(await http.post("/crm/v1/lots", headers=partner.staff, json={
        "object_id": obj, "client_id": client, "stage": stage, "title": title, "price": "9500000.00"}), 201)


async def test_app_purch_01_lots_of_current_brand_by_stage_and_showcase_brands(http):
    phone = next_phone()
    dev = await make_partner(http, "pu-dev", products=["showcase"], kind="developer")
    dev2 = await make_partner(http, "pu-dev2", products=["showcase"], kind="developer")
    uk = await make_partner(http, "pu-uk", products=["requests"])
    await give_premise(http, uk, phone)  # registered at a management company without showcase
    c1, c2 = await client_in(http, dev, phone), await client_in(http, dev2, phone)
    o1, o2 = await make_object(http, dev.staff, "ЖК Первый"), await make_object(http, dev2.staff, "ЖК Второй")
    await _lot(http, dev, c1, o1, "booking", "Бронь 1")
    await _lot(http, dev, c1, o1, "deal", "Сделка 1")
    await _lot(http, dev2, c2, o2, "booking", "Бронь чужого бренда")
    auth = await app_login(http, phone)
    expect(await http.post("/app/v1/session/brand", headers=auth, json={"brand_slug": "pu-dev"}), 200)

    screen = expect(await http.get("/app/v1/screens/purchases", headers=auth), 200)
    assert screen["brand"]["slug"] == "pu-dev"
    assert [(t["key"], t["count"]) for t in screen["tabs"]] == [("booking", 1), ("deal", 1), ("acceptance", 0)]
    assert [(i["title"], i["stage_label"], i["price"], i["object_name"]) for i in screen["items"]] == [
        ("Бронь 1", "Бронирование", "9500000.00", "ЖК Первый")]
    assert screen["can_switch_brand"] is True
    assert [(b["slug"], b["current"]) for b in screen["brands"]] == [("pu-dev", True), ("pu-dev2", False)]

    empty = expect(await http.get("/app/v1/screens/purchases", headers=auth, params={"tab": "acceptance"}), 200)
    assert empty["items"] == [] and empty["empty_state"]["showcase_button"] is True

    expect(await http.post("/app/v1/session/brand", headers=auth, json={"brand_slug": "pu-dev2"}), 200)
    screen = expect(await http.get("/app/v1/screens/purchases", headers=auth), 200)
    assert [i["title"] for i in screen["items"]] == ["Бронь чужого бренда"]
    header = expect(await http.get("/app/v1/screens/header", headers=auth), 200)
    assert header["kind"] == "my_premises" and header["current_premise_id"] is None  # none of this brand

    expect(await http.post("/app/v1/session/brand", headers=auth, json={"brand_slug": "pu-uk"}), 200)
    screen = expect(await http.get("/app/v1/screens/purchases", headers=auth), 200)
    assert screen["items"] == [] and screen["empty_state"] == {"title": "Вы ещё не купили недвижимость",
                                                                "showcase_button": False}
    assert "pu-uk" not in [b["slug"] for b in screen["brands"]]  # only brands with showcase


async def test_app_purch_01_branded_app_shows_its_brand_only_without_switching(http):
    phone = next_phone()
    dev = await make_partner(http, "pu-solo", products=["showcase"], kind="developer")
    client = await client_in(http, dev, phone)
    obj = await make_object(http, dev.staff, "ЖК Соло")
    await _lot(http, dev, client, obj, "acceptance", "Приёмка")
    auth = await app_login(http, phone, app_id="pu-solo")
    screen = expect(await http.get("/app/v1/screens/purchases", headers=auth, params={"tab": "acceptance"}), 200)
    assert [i["title"] for i in screen["items"]] == ["Приёмка"]
    assert screen["can_switch_brand"] is False and screen["brands"] == []
