"""My Premises: APP-PREM-01 (list, order, requests, counters), APP-PREM-05 (quick pay); the request
to add a premise reaches the partner's registration requests."""

from __future__ import annotations

from tests.bff.screens.world import app_login, client_in, expect, give_premise, make_partner, next_phone


async def _bill(http, partner, premise: str, amount: str, *, number: str, hidden: bool = False, paid: str | None = None):
    account = expect(await http.post(f"/crm/v1/premises/{premise}/accounts", headers=partner.staff,
                                     json={"number": number, "hidden_in_app": hidden}), 201)["id"]
    body = {"personal_account_id": account, "period": "2026-10", "amount_due": amount}
    if paid:
        body["paid"] = paid
    expect(await http.post("/crm/v1/bills", headers=partner.staff, json=body), 201)


async def test_app_prem_01_premises_of_all_partners_in_link_order_with_counters(http):
    phone = next_phone()
    a = await make_partner(http, "pa-one")
    b = await make_partner(http, "pa-two")
    p1 = await give_premise(http, a, phone, "1", object_extra={"image_url": "https://cdn.example.com/sun.jpg"})
    p2 = await give_premise(http, b, phone, "2", type="parking_space", object_name="ЖК Луна")
    p3 = await give_premise(http, a, phone, "3")
    await _bill(http, a, p1, "1500.50", number="LS-1")
    await _bill(http, a, p1, "99.00", number="LS-HIDDEN", hidden=True)  # hidden accounts stay out
    await _bill(http, b, p2, "200.00", number="LS-2", paid="50.00")
    client = await client_in(http, a, phone)
    for _ in range(2):
        expect(await http.post("/crm/v1/notifications", headers=a.staff, json={
            "client_id": client, "premise_id": p1, "type": "news", "title": "Отключение воды", "body": "Завтра"}), 201)
    auth = await app_login(http, phone)

    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert [i["id"] for i in screen["items"]] == [p1, p2, p3]  # the earlier linked, the higher
    first, second, third = screen["items"]
    assert first["object_image_url"] == "https://cdn.example.com/sun.jpg"
    assert (first["unread_notifications"], first["bills_due"]) == (2, "1500.50")
    assert (second["unread_notifications"], second["bills_due"]) == (0, "150.00")
    assert third["bills_due"] == "0.00"
    assert (second["object_name"], second["type"], second["address"]) == ("ЖК Луна", "parking_space",
                                                                          "ул. Ленина, д. 5, № 2")
    assert (first["brand_slug"], second["brand_slug"]) == ("pa-one", "pa-two")
    assert first["brand_icon_url"] == "https://cdn.example.com/pa-one.png"
    assert [i["current"] for i in screen["items"]] == [True, False, False]
    # APP-PREM-05: everything due, payable at once
    assert screen["quick_pay"] == {"total_due": "1650.50", "payable": True, "premise_ids": [p1, p2],
                                   "not_payable_due": "0.00"}
    assert screen["empty_state"] is None


async def test_app_prem_05_nothing_due_is_not_payable(http):
    phone = next_phone()
    a = await make_partner(http, "pa-three")
    await give_premise(http, a, phone, "1")
    auth = await app_login(http, phone)
    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert screen["quick_pay"] == {"total_due": "0.00", "payable": False, "premise_ids": [], "not_payable_due": "0.00"}


async def test_app_prem_05_quick_pay_totals_only_what_can_be_paid_online(http):
    """Rule: APP-PREM-05, CRM-PREM-02 — effective online payment is object AND premise AND the
    resident's own link; the rest still shows what is due on its own line."""
    phone = next_phone()
    a = await make_partner(http, "pa-pay")
    open_ = await give_premise(http, a, phone, "1")
    closed_premise = await give_premise(http, a, phone, "2", online_payment=False)
    closed_object = await give_premise(http, a, phone, "3", object_name="ЖК Без оплаты",
                                       object_extra={"online_payment": False})
    closed_link = await give_premise(http, a, phone, "4")
    client = await client_in(http, a, phone)
    expect(await http.patch(f"/crm/v1/premises/{closed_link}/clients/{client}", headers=a.staff,
                            json={"online_payment": False}), 200)
    for n, premise in enumerate([open_, closed_premise, closed_object, closed_link]):
        await _bill(http, a, premise, f"{100 * (n + 1)}.00", number=f"LS-P{n}")
    auth = await app_login(http, phone)

    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert screen["quick_pay"] == {"total_due": "100.00", "payable": True, "premise_ids": [open_],
                                   "not_payable_due": "900.00"}
    lines = {i["id"]: (i["bills_due"], i["online_payment"]) for i in screen["items"]}
    assert lines == {open_: ("100.00", True), closed_premise: ("200.00", False), closed_object: ("300.00", False),
                     closed_link: ("400.00", False)}
    # Staff allow the resident's own link again: the (cached) screen follows at once.
    expect(await http.patch(f"/crm/v1/premises/{closed_link}/clients/{client}", headers=a.staff,
                            json={"online_payment": True}), 200)
    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert screen["quick_pay"]["total_due"] == "500.00" and screen["quick_pay"]["premise_ids"] == [open_, closed_link]


async def test_app_prem_01_request_to_add_a_premise_is_listed_and_reaches_the_partner(http):
    phone = next_phone()
    a = await make_partner(http, "pa-four")
    from tests.crm.estate import make_object
    obj = await make_object(http, a.staff, "ЖК Радуга")
    auth = await app_login(http, phone)
    created = expect(await http.post("/app/v1/premise-requests", headers=auth, json={
        "object_id": obj, "address": "ул. Радужная, д. 1", "number": "44", "role": "owner"}), 201)
    assert created["status"] == "pending"
    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert screen["items"] == []
    assert [(r["id"], r["object_name"], r["number"]) for r in screen["requests"]] == [(created["id"], "ЖК Радуга", "44")]
    assert screen["empty_state"] is None  # a pending request is something to show
    listed = expect(await http.get("/crm/v1/registration-requests", headers=a.staff), 200)["items"]
    assert created["id"] in [r["id"] for r in listed]

    other = await make_partner(http, "pa-five")
    assert created["id"] not in [r["id"] for r in expect(
        await http.get("/crm/v1/registration-requests", headers=other.staff), 200)["items"]]
    expect(await http.post("/app/v1/premise-requests", headers=auth, json={
        "object_id": "00000000-0000-4000-8000-000000000000", "address": "x", "number": "1"}), 400)


async def test_app_prem_01_requires_login(http):
    expect(await http.get("/app/v1/screens/my-premises"), 401)
