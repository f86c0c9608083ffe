"""The CRM's read side: the orders inbox (with its unseen-by-staff marker), mailings with their
recipients' statuses, import jobs with their progress — partner-scoped, keyset-paginated, and
masked by the staff role's PII permissions exactly like the clients list (STAFF-02, STAFF-04)."""

from __future__ import annotations

from tests.bff.screens.world import app_login, client_in, give_premise, make_partner
from tests.crm.estate import next_phone
from tests.support import api_key_headers, expect, staff_headers

NO_PII = ["premises.edit", "clients.edit", "clients.activity", "mailings.send", "reports.clients"]


async def _orders(http, staff, **params) -> dict:
    return expect(await http.get("/crm/v1/orders", headers=staff, params=params), 200)


async def test_staff_02_04_orders_inbox_lists_filters_masks_and_marks_what_staff_have_not_opened(http, clock):
    """Rule: STAFF-02, STAFF-04, APP-ORD-02 — the staff's orders inbox."""
    phone = next_phone()
    a = await make_partner(http, "inbox-a")
    premise = await give_premise(http, a, phone, "7")
    client = await client_in(http, a, phone)
    resident = await app_login(http, phone)
    from_app = expect(await http.post("/app/v1/orders", headers=resident, json={
        "premise_id": premise, "title": "Течёт кран на кухне"}), 201)
    by_staff = expect(await http.post("/crm/v1/orders", headers=a.staff, json={
        "kind": "services", "premise_id": premise, "client_id": client, "title": "Уборка", "status": "done"}), 201)

    listed = await _orders(http, a.staff)
    rows = {r["id"]: r for r in listed["items"]}
    assert set(rows) == {from_app["id"], by_staff["id"]}
    row = rows[from_app["id"]]
    assert (row["number"], row["kind"], row["title"], row["status"]) == (from_app["number"], "requests",
                                                                          "Течёт кран на кухне", "waiting")
    assert (row["premise_id"], row["address"], row["client_id"]) == (premise, "ул. Ленина, д. 5, кв. 7", client)
    assert row["client_name"] == "Иванова Анна" and row["client_phone"] == phone
    assert row["unseen_by_staff"] is True and rows[by_staff["id"]]["unseen_by_staff"] is False
    assert [r["id"] for r in (await _orders(http, a.staff, unseen="true"))["items"]] == [from_app["id"]]
    assert [r["id"] for r in (await _orders(http, a.staff, kind="services"))["items"]] == [by_staff["id"]]
    assert [r["id"] for r in (await _orders(http, a.staff, status="waiting"))["items"]] == [from_app["id"]]
    assert [r["id"] for r in (await _orders(http, a.staff, q="кран"))["items"]] == [from_app["id"]]
    assert {r["id"] for r in (await _orders(http, a.staff, q="Иванова"))["items"]} == set(rows)
    assert len((await _orders(http, a.staff, client_id=client, premise_id=premise))["items"]) == 2

    # An integration reading the order is no staff member opening it.
    clock.advance(minutes=1)
    read_by_key = expect(await http.get(f"/crm/v1/orders/{from_app['id']}", headers=await api_key_headers(http, a.id)),
                         200)
    assert read_by_key["unseen_by_staff"] is True
    # Opening marks it seen; the resident's rating is a change again; a staff PATCH marks it seen.
    opened = expect(await http.get(f"/crm/v1/orders/{from_app['id']}", headers=a.staff), 200)
    assert opened["unseen_by_staff"] is False
    assert (await _orders(http, a.staff, unseen="true"))["items"] == []
    expect(await http.patch(f"/crm/v1/orders/{by_staff['id']}", headers=a.staff, json={"status": "done"}), 200)
    clock.advance(minutes=1)
    expect(await http.post(f"/app/v1/orders/{by_staff['id']}/rating", headers=resident, json={"rating": 5}), 200)
    clock.advance(minutes=1)
    assert [r["id"] for r in (await _orders(http, a.staff, unseen="true"))["items"]] == [by_staff["id"]]
    expect(await http.patch(f"/crm/v1/orders/{by_staff['id']}", headers=a.staff, json={"staff_comment": "Спасибо"}),
           200)
    assert (await _orders(http, a.staff, unseen="true"))["items"] == []

    # Keyset pages: one by one, every order once.
    first = await _orders(http, a.staff, limit=1, sort="number")
    second = await _orders(http, a.staff, limit=1, sort="number", cursor=first["next_cursor"])
    assert [first["items"][0]["number"], second["items"][0]["number"]] == sorted(r["number"] for r in rows.values())
    assert second["next_cursor"] is None

    # Masked like the clients list; search by a masked name still works without revealing it.
    masked = await staff_headers(http, a.id, NO_PII)
    hidden = await _orders(http, masked, q="Иванова")
    assert len(hidden["items"]) == 2
    assert all(set(r["client_name"]) <= {"*", " "} and set(r["client_phone"]) <= {"*"} for r in hidden["items"])
    assert "Иванова" not in str(hidden) and phone not in str(hidden)

    # Another partner sees none of it.
    b = await make_partner(http, "inbox-b")
    assert (await _orders(http, b.staff))["items"] == []
    expect(await http.get(f"/crm/v1/orders/{from_app['id']}", headers=b.staff), 404)
    expect(await http.get("/crm/v1/orders", headers=a.staff, params={"cursor": "not-a-cursor"}), 400)
