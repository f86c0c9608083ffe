"""Premises through the CRM API: cards, search, filters, sorts, links, personal accounts."""

from __future__ import annotations

from sqlalchemy import func, select

from core.models import Bill, PersonalAccount
from tests.crm.estate import link, make_client, make_object, make_premise, partner_with_staff
from tests.support import expect


async def test_premise_card_carries_clients_and_accounts(http):
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    premise = await make_premise(http, staff, obj, total_area="54.3", living_area=32, tags=["vip"],
                                 external_id="P-1")
    owner = await make_client(http, staff, "Петров", "Пётр", "+7 916 000-00-01")
    await link(http, staff, premise, owner, "owner", share="0.5", ddu_number="ДДУ-1", ddu_date="2024-03-01")
    tenant = await make_client(http, staff, "Сидоров", "Сидор")
    await link(http, staff, premise, tenant, "tenant", depends_on_client_id=owner, rent_day=10)
    expect(await http.post(f"/crm/v1/premises/{premise}/accounts", headers=staff,
                           json={"number": "00123", "els": "12АБ345678"}), 201)
    card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    assert card["address"] == "ул. Ленина, д. 5, кв. 12"
    assert card["total_area"] == "54.30" and card["living_area"] == "32.00" and card["floor"] == 0
    assert [(c["full_name"], c["role"]) for c in card["clients"]] == [("Петров Пётр", "owner"),
                                                                     ("Сидоров Сидор", "tenant")]
    assert card["clients"][0]["phone"] == "+79160000001" and card["clients"][0]["ddu_number"] == "ДДУ-1"
    assert card["clients"][1]["depends_on_client_id"] == owner and card["clients"][1]["rent_day"] == 10
    assert [a["number"] for a in card["accounts"]] == ["00123"]


async def test_crm_prem_02_floor_and_effective_online_payment(http):
    """Rule: CRM-PREM-02 — empty floor saves as 0; effective online payment = premise AND object."""
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    premise = await make_premise(http, staff, obj, floor=None)
    card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    assert card["floor"] == 0 and card["effective_online_payment"] is True
    expect(await http.patch(f"/crm/v1/objects/{obj}", headers=staff, json={"online_payment": False}), 200)
    card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    assert card["online_payment"] is True and card["effective_online_payment"] is False
    expect(await http.patch(f"/crm/v1/objects/{obj}", headers=staff, json={"online_payment": True}), 200)
    card = expect(await http.patch(f"/crm/v1/premises/{premise}", headers=staff, json={"online_payment": False}), 200)
    assert card["effective_online_payment"] is False


async def test_crm_prem_03_delete_premise_cascades(http, db):
    """Rule: CRM-PREM-03 — deleting a premise deletes its personal accounts and their bills."""
    partner_id, staff = await partner_with_staff(http)
    premise = await make_premise(http, staff, await make_object(http, staff))
    account = expect(await http.post(f"/crm/v1/premises/{premise}/accounts", headers=staff, json={"number": "1"}), 201)
    from datetime import date
    from decimal import Decimal
    import uuid

    db.add(Bill(partner_id=uuid.UUID(partner_id), personal_account_id=uuid.UUID(account["id"]),
                period=date(2026, 10, 1), amount_due=Decimal("10")))
    await db.flush()
    expect(await http.delete(f"/crm/v1/premises/{premise}", headers=staff), 204)
    assert (await http.get(f"/crm/v1/premises/{premise}", headers=staff)).status_code == 404
    assert await db.scalar(select(func.count()).select_from(PersonalAccount)) == 0
    assert await db.scalar(select(func.count()).select_from(Bill)) == 0


async def test_crm_prem_01_search_by_address_parts(http):
    """Rule: CRM-PREM-01 — "Ленина 5 12", "5 12", "12"; by personal account; by client name and phone."""
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    target = await make_premise(http, staff, obj, "12", street="Ленина", house="5")
    await make_premise(http, staff, obj, "12", street="Ленина", house="7")
    await make_premise(http, staff, obj, "12", street="Садовая", house="5")
    await make_premise(http, staff, obj, "120", street="Ленина", house="5")
    other = await make_premise(http, staff, obj, "3", street="Садовая", house="9")
    expect(await http.post(f"/crm/v1/premises/{other}/accounts", headers=staff, json={"number": "ЛС-777"}), 201)
    client = await make_client(http, staff, "Кузнецова", "Ольга", "+79161112233")
    await link(http, staff, other, client)

    async def found(q: str) -> list[str]:
        body = expect(await http.get("/crm/v1/premises", headers=staff, params={"q": q}), 200)
        return [item["id"] for item in body["items"]]

    assert await found("Ленина 5 12") == [target]
    assert await found("ул. Ленина, д. 5, кв. 12") == [target]
    assert len(await found("5 12")) == 2
    assert len(await found("12")) == 3
    assert len(await found("Ленина 5")) == 2
    assert await found("ЛС-777") == [other]
    assert await found("Кузнецова") == [other]
    assert await found("8 916 111-22-33") == [other]
    assert await found("1112") == [other]
    assert await found("Несуществующая 1 1") == []


async def test_crm_prem_01_filters_and_sorts(http):
    """Rule: CRM-PREM-01 — filters by object, type, client, tags; sort by address and area."""
    _, staff = await partner_with_staff(http)
    first, second = await make_object(http, staff, "Первый"), await make_object(http, staff, "Второй")
    a = await make_premise(http, staff, first, "2", total_area=40, tags=["угловая"])
    b = await make_premise(http, staff, first, "10", total_area=90)
    c = await make_premise(http, staff, first, "1", type="parking_space", total_area=15)
    d = await make_premise(http, staff, second, "5", total_area=60, tags=["угловая"])
    client = await make_client(http, staff)
    await link(http, staff, b, client)

    async def ids(**params) -> list[str]:
        body = expect(await http.get("/crm/v1/premises", headers=staff, params=params), 200)
        return [item["id"] for item in body["items"]]

    assert await ids(object_id=first) == [c, a, b]  # natural order: 1, 2, 10
    assert await ids(object_id=first, sort="-address") == [b, a, c]
    assert await ids(sort="area") == [c, a, d, b]
    assert await ids(sort="-area") == [b, d, a, c]
    assert await ids(type="parking_space") == [c]
    assert await ids(client_id=client) == [b]
    assert set(await ids(tag="угловая")) == {a, d}
    page1 = expect(await http.get("/crm/v1/premises", headers=staff, params={"sort": "area", "limit": 3}), 200)
    page2 = expect(await http.get("/crm/v1/premises", headers=staff,
                                  params={"sort": "area", "limit": 3, "cursor": page1["next_cursor"]}), 200)
    assert [i["id"] for i in page1["items"] + page2["items"]] == [c, a, d, b] and page2["next_cursor"] is None


async def test_crm_val_01_premise_validation(http):
    """Rule: CRM-VAL-01 — areas ≥ 0, living ≤ total; ЕЛС format."""
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    base = {"object_id": obj, "type": "apartment", "street": "Ленина", "house": "5", "number": "1"}
    negative = await http.post("/crm/v1/premises", headers=staff, json={**base, "total_area": -1})
    assert negative.status_code == 400 and negative.json()["errors"][0]["field"] == "total_area"
    bigger = await http.post("/crm/v1/premises", headers=staff, json={**base, "total_area": 30, "living_area": 31})
    assert bigger.status_code == 400 and bigger.json()["errors"][0]["field"] == "living_area"
    bad_type = await http.post("/crm/v1/premises", headers=staff, json={**base, "type": "castle"})
    assert bad_type.status_code == 400
    premise = await make_premise(http, staff, obj)
    els = await http.post(f"/crm/v1/premises/{premise}/accounts", headers=staff, json={"number": "1", "els": "12AB345678"})
    assert els.status_code == 400 and els.json()["errors"][0]["field"] == "els"
    listing = expect(await http.get("/crm/v1/premises", headers=staff), 200)
    assert len(listing["items"]) == 1


async def test_crm_link_01_links(http):
    """Rule: CRM-LINK-01 — any number of clients; a non-owner link names the owner it depends on."""
    _, staff = await partner_with_staff(http)
    premise = await make_premise(http, staff, await make_object(http, staff))
    owner, second_owner = await make_client(http, staff), await make_client(http, staff, "Орлов", "Олег")
    await link(http, staff, premise, owner)
    await link(http, staff, premise, second_owner)
    family = [await make_client(http, staff, "Иванов", name) for name in ("Иван", "Павел", "Глеб")]
    for person in family:
        await link(http, staff, premise, person, "resident", depends_on_client_id=owner)
    no_owner = await http.post(f"/crm/v1/premises/{premise}/clients", headers=staff,
                               json={"client_id": await make_client(http, staff), "role": "resident"})
    assert no_owner.status_code == 400 and no_owner.json()["errors"][0]["field"] == "depends_on_client_id"
    not_owner = await http.post(f"/crm/v1/premises/{premise}/clients", headers=staff, json={
        "client_id": await make_client(http, staff), "role": "resident", "depends_on_client_id": family[0]})
    assert not_owner.status_code == 400
    no_rent_day = await http.post(f"/crm/v1/premises/{premise}/clients", headers=staff, json={
        "client_id": await make_client(http, staff), "role": "tenant", "depends_on_client_id": owner})
    assert no_rent_day.status_code == 400 and no_rent_day.json()["errors"][0]["field"] == "rent_day"
    twice = await http.post(f"/crm/v1/premises/{premise}/clients", headers=staff,
                            json={"client_id": owner, "role": "owner"})
    assert twice.status_code == 409
    card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    assert len(card["clients"]) == 5 and all(c["added_by"] == "staff" for c in card["clients"])
    # Removing the owner removes those who depended on them; the other owner stays.
    expect(await http.delete(f"/crm/v1/premises/{premise}/clients/{owner}", headers=staff), 204)
    card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    assert [c["client_id"] for c in card["clients"]] == [second_owner]


async def test_link_update_role_and_future_dates(http):
    _, staff = await partner_with_staff(http)
    premise = await make_premise(http, staff, await make_object(http, staff))
    owner, other = await make_client(http, staff), await make_client(http, staff, "Орлов", "Олег")
    await link(http, staff, premise, owner)
    await link(http, staff, premise, other, "resident", depends_on_client_id=owner)
    changed = expect(await http.patch(f"/crm/v1/premises/{premise}/clients/{other}", headers=staff,
                                      json={"role": "tenant", "rent_day": 31}), 200)
    assert changed["role"] == "tenant" and changed["rent_day"] == 31
    future = await http.patch(f"/crm/v1/premises/{premise}/clients/{owner}", headers=staff,
                              json={"certificate_date": "2030-01-01"})
    assert future.status_code == 400 and future.json()["errors"][0]["field"] == "certificate_date"
    bad_day = await http.patch(f"/crm/v1/premises/{premise}/clients/{other}", headers=staff, json={"rent_day": 32})
    assert bad_day.status_code == 400


async def test_staff_01_without_premises_edit_no_manual_changes(http):
    """Rule: STAFF-01 (manual side) — without `premises.edit` premises cannot be created or changed by hand."""
    partner, admin = await partner_with_staff(http)
    premise = await make_premise(http, admin, await make_object(http, admin))
    from tests.support import staff_headers

    reader = await staff_headers(http, partner, ["clients.pii.name"])
    assert (await http.patch(f"/crm/v1/premises/{premise}", headers=reader, json={"note": "x"})).status_code == 403
    assert (await http.delete(f"/crm/v1/premises/{premise}", headers=reader)).status_code == 403
    assert (await http.get(f"/crm/v1/premises/{premise}", headers=reader)).status_code == 200
