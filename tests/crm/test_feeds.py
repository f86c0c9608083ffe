"""Data feeds from the partner's other products: bills, notifications, insurance, meters, lots."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from core.models import Account, Bill, Insurance, Lot, Meter, Notification, PushMessage
from tests.crm import factories as f
from tests.support import api_key_headers, create_partner, expect, login_resident, staff_headers


async def _world(http, db):
    partner = await create_partner(http)
    premise = await f.premise(db, partner)
    client = await f.client(db, partner)
    await f.link(db, premise, client)
    return partner, premise, client


# ---- bills ----------------------------------------------------------------------------------

async def test_bills_upsert_per_account_and_month_with_money_as_strings(http, db):
    partner, premise, _ = await _world(http, db)
    account = await f.personal_account(db, premise)
    key = await api_key_headers(http, partner)
    body = {"personal_account_id": str(account.id), "period": "2026-10", "amount_due": "1520.5"}
    first = expect(await http.post("/crm/v1/bills", headers=key, json=body), 201)
    assert first["amount_due"] == "1520.50" and first["paid"] == "0.00" and first["period"] == "2026-10-01"
    assert first["created"] is True
    again = expect(await http.post("/crm/v1/bills", headers=key, json={
        **body, "period": "2026-10-15", "amount_due": "1600", "paid": "100.25"}), 201)
    assert again["id"] == first["id"] and again["created"] is False
    assert again["amount_due"] == "1600.00" and again["paid"] == "100.25"
    bill = await db.scalar(select(Bill).where(Bill.personal_account_id == account.id))
    assert bill.amount_due == Decimal("1600.00") and bill.period == date(2026, 10, 1)


async def test_bills_refuse_floats_bad_amounts_and_foreign_accounts(http, db):
    partner, premise, _ = await _world(http, db)
    _, other_premise, _ = await _world(http, db)
    account, theirs = await f.personal_account(db, premise), await f.personal_account(db, other_premise)
    key = await api_key_headers(http, partner)
    body = {"personal_account_id": str(account.id), "period": "2026-10"}
    for amount in (1520.5, "1520.555", "-1", "abc"):
        bad = await http.post("/crm/v1/bills", headers=key, json={**body, "amount_due": amount})
        assert bad.status_code == 400, amount
        assert "amount_due" in bad.text
    bad = await http.post("/crm/v1/bills", headers=key, json={**body, "period": "2026-13-01", "amount_due": "1"})
    assert bad.status_code == 400 and "period" in bad.text
    bad = await http.post("/crm/v1/bills", headers=key, json={**body, "period": "2026-02-30", "amount_due": "1"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "period"
    bad = await http.post("/crm/v1/bills", headers=key, json={
        "personal_account_id": str(theirs.id), "period": "2026-10", "amount_due": "1"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "personal_account_id"
    assert await db.scalar(select(func.count()).select_from(Bill)) == 0


async def test_feed_writes_need_premises_edit(http, db):
    partner, premise, client = await _world(http, db)
    account = await f.personal_account(db, premise)
    reader = await staff_headers(http, partner, permissions=["clients.edit"])
    for path, body in (
        ("/crm/v1/bills", {"personal_account_id": str(account.id), "period": "2026-10", "amount_due": "1"}),
        ("/crm/v1/meters", {"premise_id": str(premise.id), "kind": "cold_water"}),
        ("/crm/v1/insurance", {"premise_id": str(premise.id), "policy_number": "1", "insurer": "СК",
                               "starts_on": "2026-01-01", "ends_on": "2026-12-31"}),
        ("/crm/v1/lots", {"object_id": str(premise.object_id), "client_id": str(client.id), "stage": "booking",
                          "title": "Кв. 12"}),
    ):
        answer = await http.post(path, headers=reader, json=body)
        assert answer.status_code == 403 and answer.json()["code"] == "permission_required", path
    editor = await staff_headers(http, partner, permissions=["premises.edit"])
    expect(await http.post("/crm/v1/meters", headers=editor, json={"premise_id": str(premise.id), "kind": "gas"}), 201)


# ---- insurance, meters, lots ----------------------------------------------------------------

async def test_insurance_upserts_by_external_id(http, db):
    partner, premise, _ = await _world(http, db)
    key = await api_key_headers(http, partner)
    body = {"premise_id": str(premise.id), "policy_number": "ИФЛ-1", "insurer": "СК Надёжная",
            "starts_on": "2026-01-01", "ends_on": "2026-12-31", "external_id": "pol-1"}
    first = expect(await http.post("/crm/v1/insurance", headers=key, json=body), 201)
    second = expect(await http.post("/crm/v1/insurance", headers=key, json={**body, "policy_number": "ИФЛ-2"}), 201)
    assert second == {"id": first["id"], "created": False}
    assert (await db.scalars(select(Insurance.policy_number).where(Insurance.premise_id == premise.id))).all() == [
        "ИФЛ-2"]
    bad = await http.post("/crm/v1/insurance", headers=key, json={**body, "ends_on": "2025-01-01"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "ends_on"


async def test_meters_upsert_by_external_id_and_stay_in_the_partner(http, db):
    partner, premise, _ = await _world(http, db)
    _, other_premise, _ = await _world(http, db)
    key = await api_key_headers(http, partner)
    body = {"premise_id": str(premise.id), "kind": "cold_water", "serial_number": "A1", "external_id": "m-1"}
    first = expect(await http.post("/crm/v1/meters", headers=key, json=body), 201)
    second = expect(await http.post("/crm/v1/meters", headers=key, json={**body, "serial_number": "A2"}), 201)
    assert second["id"] == first["id"]
    assert await db.scalar(select(Meter.serial_number).where(Meter.id == f.uid(first["id"]))) == "A2"
    bad = await http.post("/crm/v1/meters", headers=key, json={**body, "premise_id": str(other_premise.id)})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "premise_id"


async def test_lots_move_through_stages(http, db):
    partner, premise, client = await _world(http, db)
    key = await api_key_headers(http, partner)
    body = {"object_id": str(premise.object_id), "premise_id": str(premise.id), "client_id": str(client.id),
            "stage": "booking", "title": "Квартира 12", "characteristics": {"rooms": 2, "area": "54.3"},
            "price": "9850000.00", "external_id": "lot-12"}
    first = expect(await http.post("/crm/v1/lots", headers=key, json=body), 201)
    expect(await http.post("/crm/v1/lots", headers=key, json={**body, "stage": "deal"}), 201)
    lot = await db.scalar(select(Lot).where(Lot.id == f.uid(first["id"])))
    await db.refresh(lot)
    assert lot.stage == "deal" and lot.price == Decimal("9850000.00") and lot.characteristics["rooms"] == 2
    bad = await http.post("/crm/v1/lots", headers=key, json={**body, "stage": "sold"})
    assert bad.status_code == 400 and "stage" in bad.text


async def test_lots_refuse_foreign_ids(http, db):
    partner, premise, client = await _world(http, db)
    other, other_premise, other_client = await _world(http, db)
    key = await api_key_headers(http, partner)
    body = {"object_id": str(premise.object_id), "client_id": str(client.id), "stage": "booking", "title": "Кв"}
    for field, value in (("object_id", other_premise.object_id), ("client_id", other_client.id),
                         ("premise_id", other_premise.id)):
        bad = await http.post("/crm/v1/lots", headers=key, json={**body, field: str(value)})
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == field
    assert await db.scalar(select(func.count()).select_from(Lot)) == 0


# ---- notifications --------------------------------------------------------------------------

async def test_notification_reaches_a_logged_in_client_inbox_and_push(http, db):
    partner, premise, client = await _world(http, db)
    login = await login_resident(http, client.phone)
    key = await api_key_headers(http, partner)
    created = expect(await http.post("/crm/v1/notifications", headers=key, json={
        "client_id": str(client.id), "premise_id": str(premise.id), "type": "news", "title": "Отключение воды",
        "body": "Завтра с 10 до 12"}), 201)
    item = await db.scalar(select(Notification).where(Notification.id == f.uid(created["id"])))
    assert item.account_id == f.uid(login["account_id"]) and item.premise_id == premise.id
    push = await db.scalar(select(PushMessage).where(PushMessage.account_id == item.account_id))
    assert push.type == "news" and push.deep_link == f"app://notifications/{created['id']}"
    linked = expect(await http.post("/crm/v1/notifications", headers=key, json={
        "client_id": str(client.id), "type": "people", "title": "Доступ", "body": "Вас добавили",
        "deep_link": f"app://people?premise_id={premise.id}"}), 201)
    item = await db.scalar(select(Notification).where(Notification.id == f.uid(linked["id"])))
    assert item.deep_link == f"app://people?premise_id={premise.id}"


async def test_notification_before_first_login_waits_in_the_inbox(http, db):
    partner, premise, client = await _world(http, db)
    key = await api_key_headers(http, partner)
    created = expect(await http.post("/crm/v1/notifications", headers=key, json={
        "client_id": str(client.id), "type": "bills", "title": "Счёт", "body": "Новый счёт"}), 201)
    account = await db.scalar(select(Account).where(Account.phone == client.phone))
    assert account.first_login_at is None  # kept as "never logged in"
    assert await db.scalar(select(PushMessage.id).where(PushMessage.account_id == account.id)) is None
    login = await login_resident(http, client.phone)
    assert login["account_id"] == str(account.id)
    item = await db.scalar(select(Notification).where(Notification.id == f.uid(created["id"])))
    assert item.account_id == account.id


async def test_notification_input_is_checked(http, db):
    partner, premise, client = await _world(http, db)
    _, other_premise, other_client = await _world(http, db)
    key = await api_key_headers(http, partner)
    body = {"client_id": str(client.id), "type": "news", "title": "T", "body": "B"}
    for extra, field in (({"client_id": str(other_client.id)}, "client_id"),
                         ({"premise_id": str(other_premise.id)}, "premise_id"),
                         ({"type": "spam"}, "type"), ({"deep_link": "https://evil.example"}, "deep_link"),
                         ({"deep_link": "app://elsewhere"}, "deep_link")):
        bad = await http.post("/crm/v1/notifications", headers=key, json={**body, **extra})
        assert bad.status_code == 400 and field in bad.text, extra
    staff = await staff_headers(http, partner, permissions=["clients.edit"])
    assert (await http.post("/crm/v1/notifications", headers=staff, json=body)).status_code == 403
    assert await db.scalar(select(func.count()).select_from(Notification)) == 0


async def test_bills_in_batches_address_accounts_by_id_or_external_id_and_fail_one_by_one(http, db):
    """Rule: IMPORT-07 — a month's bills in one request: each item addresses its personal account by
    our id or the partner's external id and gets its own result; a foreign account, an unknown
    external id and a malformed amount fail alone; sending the batch again updates, creates nothing."""
    partner, premise, _ = await _world(http, db)
    _, other_premise, _ = await _world(http, db)
    mine, by_external = await f.personal_account(db, premise), await f.personal_account(db, premise, number="200300")
    by_external.external_id = "1C-LS-7"
    theirs = await f.personal_account(db, other_premise)
    await db.flush()
    key = await api_key_headers(http, partner)
    items = [{"personal_account_id": str(mine.id), "period": "2026-10", "amount_due": "1520.50"},
             {"personal_account_external_id": "1C-LS-7", "period": "2026-10", "amount_due": "99", "paid": "10"},
             {"personal_account_id": str(theirs.id), "period": "2026-10", "amount_due": "1"},
             {"personal_account_external_id": "nobody", "period": "2026-10", "amount_due": "1"},
             {"personal_account_id": str(mine.id), "period": "2026-11", "amount_due": 1520.5},
             {"period": "2026-10", "amount_due": "1"}]
    results = expect(await http.post("/crm/v1/bills", headers=key, json={"items": items}), 201)["results"]
    assert [(r["index"], r["status"], r.get("field")) for r in results] == [
        (0, "created", None), (1, "created", None), (2, "error", "personal_account_id"),
        (3, "error", "personal_account_external_id"), (4, "error", "amount_due"), (5, "error", "personal_account_id")]
    assert results[1]["personal_account_id"] == str(by_external.id)
    assert await db.scalar(select(func.count()).select_from(Bill)) == 2
    again = expect(await http.post("/crm/v1/bills", headers=key, json={"items": items[:2]}), 201)["results"]
    assert [(r["status"], r["id"]) for r in again] == [("updated", results[0]["id"]), ("updated", results[1]["id"])]
    assert await db.scalar(select(func.count()).select_from(Bill)) == 2
    too_many = await http.post("/crm/v1/bills", headers=key, json={"items": [items[0]] * 1001})
    assert too_many.status_code == 400 and too_many.json()["errors"][0]["field"] == "items"


async def test_meters_and_insurance_name_their_premise_by_the_partners_external_id(http, db):
    """Rule: IMPORT-07 — a 1C feed that knows premises by its own ids sends `premise_external_id`
    instead of ours; another partner's premise, an unknown id, or both ids at once are refused."""
    partner, premise, _ = await _world(http, db)
    _, other_premise, _ = await _world(http, db)
    premise.external_id, other_premise.external_id = "1C-P-12", "1C-P-THEIRS"
    await db.flush()
    key = await api_key_headers(http, partner)
    meter = expect(await http.post("/crm/v1/meters", headers=key, json={
        "premise_external_id": "1C-P-12", "kind": "cold_water", "external_id": "m-ext"}), 201)
    assert await db.scalar(select(Meter.premise_id).where(Meter.id == f.uid(meter["id"]))) == premise.id
    policy = expect(await http.post("/crm/v1/insurance", headers=key, json={
        "premise_external_id": "1C-P-12", "policy_number": "ИФЛ-9", "insurer": "СК Надёжная",
        "starts_on": "2026-01-01", "ends_on": "2026-12-31"}), 201)
    assert await db.scalar(select(Insurance.premise_id).where(Insurance.id == f.uid(policy["id"]))) == premise.id
    for body, field in (({"premise_external_id": "1C-P-THEIRS"}, "premise_external_id"),
                        ({"premise_external_id": "nobody"}, "premise_external_id"),
                        ({"premise_external_id": "1C-P-12", "premise_id": str(premise.id)}, "premise_id"),
                        ({}, "premise_id")):
        bad = await http.post("/crm/v1/meters", headers=key, json={**body, "kind": "hot_water"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == field, body
    assert await db.scalar(select(func.count()).select_from(Meter).where(Meter.kind == "hot_water")) == 0
