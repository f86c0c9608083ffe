"""Objects, object groups and quarters through the CRM API."""

from __future__ import annotations

from tests.support import create_brand, create_partner, expect, staff_headers


async def test_object_lifecycle_and_brand(http):
    partner = await create_partner(http)
    await create_brand(http, partner, slug="solnce")
    staff = await staff_headers(http, partner)
    group = expect(await http.post("/crm/v1/object-groups", headers=staff, json={"name": "Север"}), 201)["id"]
    created = expect(await http.post("/crm/v1/objects", headers=staff, json={
        "name": "ЖК Солнечный", "address": "г. Москва, ул. Ленина, 5", "postal_code": "101000",
        "brand_slug": "solnce", "object_group_id": group}), 201)
    card = expect(await http.get(f"/crm/v1/objects/{created['id']}", headers=staff), 200)
    assert card["online_payment"] is True and card["object_group_id"] == group and card["brand_id"]
    patched = expect(await http.patch(f"/crm/v1/objects/{created['id']}", headers=staff,
                                      json={"online_payment": False, "brand_slug": None}), 200)
    assert patched["online_payment"] is False and patched["brand_id"] is None and patched["name"] == "ЖК Солнечный"
    listed = expect(await http.get("/crm/v1/objects?q=солн", headers=staff), 200)
    assert [o["id"] for o in listed["items"]] == [created["id"]]
    expect(await http.delete(f"/crm/v1/objects/{created['id']}", headers=staff), 204)
    assert (await http.get(f"/crm/v1/objects/{created['id']}", headers=staff)).status_code == 404


async def test_objects_paginate_with_a_cursor(http):
    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    for n in range(5):
        expect(await http.post("/crm/v1/objects", headers=staff, json={"name": f"Дом {n}", "address": "ул. 1"}), 201)
    first = expect(await http.get("/crm/v1/objects?limit=2", headers=staff), 200)
    second = expect(await http.get(f"/crm/v1/objects?limit=2&cursor={first['next_cursor']}", headers=staff), 200)
    third = expect(await http.get(f"/crm/v1/objects?limit=2&cursor={second['next_cursor']}", headers=staff), 200)
    names = [o["name"] for o in first["items"] + second["items"] + third["items"]]
    assert names == [f"Дом {n}" for n in range(5)] and third["next_cursor"] is None
    bad = await http.get("/crm/v1/objects?cursor=garbage", headers=staff)
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "cursor"
    assert (await http.get("/crm/v1/objects?limit=501", headers=staff)).status_code == 400


async def test_writes_need_premises_edit(http):
    partner = await create_partner(http)
    reader = await staff_headers(http, partner, permissions=[])
    response = await http.post("/crm/v1/objects", headers=reader, json={"name": "X", "address": "Y"})
    assert response.status_code == 403 and response.json()["code"] == "permission_required"
    assert (await http.get("/crm/v1/objects", headers=reader)).status_code == 200


async def test_brand_of_another_partner_is_refused(http):
    mine, theirs = await create_partner(http), await create_partner(http)
    await create_brand(http, theirs, slug="theirs")
    staff = await staff_headers(http, mine)
    response = await http.post("/crm/v1/objects", headers=staff, json={"name": "X", "address": "Y",
                                                                      "brand_slug": "theirs"})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "brand_slug"
