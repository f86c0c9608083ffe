"""CRM-ACT-01: bills paid and meter readings received through the data feeds appear in the
activity of the client who paid or sent them and of their premise — once, however often the
feed resends them."""

from __future__ import annotations

from tests.crm.estate import link, make_client, make_object, make_premise, partner_with_staff
from tests.support import api_key_headers, expect


async def _feed(http, staff, path: str, **params) -> dict:
    return expect(await http.get(path, headers=staff, params=params), 200)


async def test_crm_act_01_bill_payments_and_meter_readings_from_the_feeds_are_activity(http, clock):
    """Rule: CRM-ACT-01"""
    partner, staff = await partner_with_staff(http)
    premise = await make_premise(http, staff, await make_object(http, staff), "21")
    payer = await make_client(http, staff, "Платова", "Полина")
    other = await make_client(http, staff, "Соседов", "Сергей")
    await link(http, staff, premise, payer)
    await link(http, staff, premise, other, "resident", depends_on_client_id=payer)
    key = await api_key_headers(http, partner)
    account = expect(await http.post(f"/crm/v1/premises/{premise}/accounts", headers=staff,
                                     json={"number": "LS-21"}), 201)["id"]
    bill = {"personal_account_id": account, "period": "2026-10", "amount_due": "1500.00"}
    expect(await http.post("/crm/v1/bills", headers=key, json=bill), 201)  # a charge: no payment yet
    paid = {**bill, "paid": "1000.00", "client_id": payer, "paid_at": "2026-11-20T09:00:00Z"}
    expect(await http.post("/crm/v1/bills", headers=key, json=paid), 201)
    expect(await http.post("/crm/v1/bills", headers=key, json=paid), 201)  # resent: nothing new
    meter = expect(await http.post("/crm/v1/meters", headers=key, json={
        "premise_id": premise, "kind": "Холодная вода", "serial_number": "ХВ-77"}), 201)["id"]
    reading = {"meter_id": meter, "value": "123.450", "taken_at": "2026-11-21T08:00:00Z", "client_id": payer,
               "personal_account_id": account}
    first = expect(await http.post("/crm/v1/meter-readings", headers=key, json=reading), 201)
    again = expect(await http.post("/crm/v1/meter-readings", headers=key, json={**reading, "value": "123.460"}), 201)
    assert first["created"] is True and again == {"id": first["id"], "created": False}

    mine = await _feed(http, staff, f"/crm/v1/clients/{payer}/activity")
    assert [(i["type"], i["subject"], i["occurred_at"]) for i in mine["items"]] == [
        ("meter_reading", "Показания счётчика «Холодная вода» № ХВ-77: 123.45", "2026-11-21T08:00:00Z"),
        ("bill_payment", "Оплата 1000.00 ₽ по лицевому счёту LS-21 за 10.2026", "2026-11-20T09:00:00Z"),
    ]
    assert mine["items"][0]["premise"]["id"] == premise
    premise_feed = await _feed(http, staff, f"/crm/v1/premises/{premise}/activity")
    assert [i["type"] for i in premise_feed["items"]] == ["meter_reading", "bill_payment"]
    assert (await _feed(http, staff, f"/crm/v1/clients/{other}/activity"))["items"] == []
    only = await _feed(http, staff, f"/crm/v1/premises/{premise}/activity", type="bill_payment")
    assert [i["type"] for i in only["items"]] == ["bill_payment"]

    # The next payment adds what was paid since; a payment without a known payer is the premise's.
    expect(await http.post("/crm/v1/bills", headers=key, json={**bill, "paid": "1500.00"}), 201)
    premise_feed = await _feed(http, staff, f"/crm/v1/premises/{premise}/activity", type="bill_payment")
    assert [i["subject"] for i in premise_feed["items"]][0] == "Оплата 500.00 ₽ по лицевому счёту LS-21 за 10.2026"
    assert len((await _feed(http, staff, f"/crm/v1/clients/{payer}/activity"))["items"]) == 2

    _, foreign_staff = await partner_with_staff(http, name="Чужая УК")
    foreign_client = await make_client(http, foreign_staff, "Чужой", "Иван")
    refused = expect(await http.post("/crm/v1/meter-readings", headers=key, json={
        **reading, "taken_at": "2026-11-22T08:00:00Z", "client_id": foreign_client}), 400)
    assert refused["errors"][0]["field"] == "client_id"
