"""STAFF-05: a premise request from the app always reaches a partner — a branded app's own partner
without an object; in the unified app the object picked from the catalogue decides it, and a
request without one is refused."""

from __future__ import annotations

from tests.bff.screens.world import app_login, make_partner, next_phone
from tests.crm.estate import make_object
from tests.support import expect


async def _requests(http, partner) -> list[str]:
    return [r["id"] for r in expect(await http.get("/crm/v1/registration-requests", headers=partner.staff),
                                    200)["items"]]


async def test_staff_05_branded_app_request_without_object_reaches_its_partner(http):
    """Rule: STAFF-05"""
    phone = next_phone()
    a = await make_partner(http, "req-brand")
    auth = await app_login(http, phone, app_id="req-brand")
    created = expect(await http.post("/app/v1/premise-requests", headers=auth, json={
        "address": "ул. Новая, д. 3", "number": "15", "role": "owner"}), 201)
    assert created["id"] in await _requests(http, a)
    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert [r["id"] for r in screen["requests"]] == [created["id"]]
    # The branded app offers its partner's objects only; another partner's is refused.
    b = await make_partner(http, "req-brand-other")
    theirs = await make_object(http, b.staff, "ЖК Чужой")
    refused = expect(await http.post("/app/v1/premise-requests", headers=auth, json={
        "object_id": theirs, "address": "ул. Новая, д. 3", "number": "16"}), 400)
    assert refused["errors"][0]["field"] == "object_id"
    assert await _requests(http, b) == []


async def test_staff_05_unified_app_request_without_object_is_refused_and_nothing_is_stored(http):
    """Rule: STAFF-05 — no request is ever stored where no partner sees it."""
    phone = next_phone()
    a = await make_partner(http, "req-unified")
    auth = await app_login(http, phone)
    refused = expect(await http.post("/app/v1/premise-requests", headers=auth, json={
        "address": "ул. Новая, д. 3", "number": "15", "role": "owner"}), 400)
    assert refused["errors"][0]["field"] == "object_id"
    assert "Выберите жилой комплекс" in refused["errors"][0]["message"]
    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert screen["requests"] == []
    assert await _requests(http, a) == []

    obj = await make_object(http, a.staff, "ЖК Рассвет")
    created = expect(await http.post("/app/v1/premise-requests", headers=auth, json={
        "object_id": obj, "address": "ул. Новая, д. 3", "number": "15", "role": "owner"}), 201)
    assert await _requests(http, a) == [created["id"]]


async def test_staff_05_object_catalogue_searches_any_part_of_name_or_address_in_pages(http):
    """Rule: STAFF-05 — the unified app's catalogue of every partner's objects; a branded app's of its partner."""
    a = await make_partner(http, "cat-a", name="УК Альфа")
    b = await make_partner(http, "cat-b", name="УК Бета")
    sun = await make_object(http, a.staff, "ЖК Солнечный берег", address="г. Казань, ул. Баумана, 12")
    moon = await make_object(http, b.staff, "ЖК Лунный", address="г. Самара, пр. Ленина, 1")
    auth = await app_login(http, next_phone())

    def ids(answer):
        return [i["id"] for i in answer["items"]]

    found = expect(await http.get("/app/v1/objects", headers=auth, params={"q": "НЕЧНЫЙ"}), 200)
    assert found["items"] == [{"id": sun, "name": "ЖК Солнечный берег", "address": "г. Казань, ул. Баумана, 12",
                               "brand_slug": "cat-a", "partner_name": "УК Альфа"}]
    assert ids(expect(await http.get("/app/v1/objects", headers=auth, params={"q": "баумана 12"}), 200)) == [sun]
    assert ids(expect(await http.get("/app/v1/objects", headers=auth, params={"q": "Самара"}), 200)) == [moon]
    assert expect(await http.get("/app/v1/objects", headers=auth, params={"q": "100%_"}), 200)["items"] == []
    everything = expect(await http.get("/app/v1/objects", headers=auth, params={"q": "ЖК", "limit": 1}), 200)
    rest = expect(await http.get("/app/v1/objects", headers=auth,
                                 params={"q": "ЖК", "limit": 1, "cursor": everything["next_cursor"]}), 200)
    assert ids(everything) + ids(rest) == [moon, sun]  # by name

    branded = await app_login(http, next_phone(), app_id="cat-b")
    assert ids(expect(await http.get("/app/v1/objects", headers=branded, params={"q": "ЖК"}), 200)) == [moon]
    expect(await http.get("/app/v1/objects", headers=auth, params={"q": "x" * 101}), 400)
    expect(await http.get("/app/v1/objects", headers=auth, params={"limit": 51}), 400)
    expect(await http.get("/app/v1/objects", headers=auth, params={"cursor": "forged"}), 400)
    expect(await http.get("/app/v1/objects"), 401)
