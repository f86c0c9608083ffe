"""Activity feeds of premises and clients (CRM-ACT-01) and their personal data (STAFF-02)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.models import Activity, AuditRecord
from tests.conftest import START
from tests.crm import factories as f
from tests.support import api_key_headers, create_partner, expect, staff_headers

NO_PII = ["clients.activity"]


async def _world(http, db, clock):
    """Premise P with owner A and resident B; A also owns P2. Orders and a call, a minute apart."""
    partner = await create_partner(http)
    obj = await f.estate_object(db, partner)
    p, p2 = await f.premise(db, partner, object_id=obj.id), await f.premise(db, partner, object_id=obj.id)
    a = await f.client(db, partner, last_name="Иванов", first_name="Иван")
    b = await f.client(db, partner, last_name="Петрова", first_name="Анна", middle_name=None)
    await f.link(db, p, a)
    await f.link(db, p, b, role="resident", depends_on=a)
    await f.link(db, p2, a)
    key = await api_key_headers(http, partner)

    async def order(premise, client, title, kind="requests"):
        clock.advance(minutes=1)
        return expect(await http.post("/crm/v1/orders", headers=key, json={
            "kind": kind, "premise_id": str(premise.id), "client_id": str(client.id), "title": title,
            "status": "waiting"}), 201)

    leak = await order(p, a, "Протекает кран")
    cleaning = await order(p, b, "Уборка квартиры", kind="services")
    intercom = await order(p2, a, "Не работает домофон")
    db.add(Activity(partner_id=f.uid(partner), client_id=b.id, type="call", subject="Звонок о пропуске",
                    occurred_at=START + timedelta(minutes=10)))
    await db.flush()
    return dict(partner=partner, key=key, p=p, p2=p2, a=a, b=b, leak=leak, cleaning=cleaning, intercom=intercom)


def subjects(feed: dict) -> list[str]:
    return [item["subject"] for item in feed["items"]]


async def test_crm_act_01_premise_feed_merges_its_clients_newest_first(http, db, clock):
    """Rule: CRM-ACT-01 — a premise's activity merges all its clients, newest first."""
    w = await _world(http, db, clock)
    feed = expect(await http.get(f"/crm/v1/premises/{w['p'].id}/activity", headers=w["key"]), 200)
    assert subjects(feed) == ["Звонок о пропуске", "Уборка квартиры", "Протекает кран"]
    first = feed["items"][2]
    assert first["type"] == "request" and first["number"] == w["leak"]["number"] and first["status"] == "waiting"
    assert first["order_id"] == w["leak"]["id"] and first["premise"]["id"] == str(w["p"].id)
    assert first["client"]["full_name"] == "Иванов Иван Иванович" and first["occurred_at"] == "2026-11-24T10:01:00Z"
    assert feed["counters"] == {"active_requests": 2, "total": 2}


async def test_crm_act_01_client_feed_is_only_theirs(http, db, clock):
    """Rule: CRM-ACT-01 — a client's activity is only theirs, over all their premises."""
    w = await _world(http, db, clock)
    feed = expect(await http.get(f"/crm/v1/clients/{w['a'].id}/activity", headers=w["key"]), 200)
    assert subjects(feed) == ["Не работает домофон", "Протекает кран"]
    assert feed["counters"] == {"active_requests": 2, "total": 2}
    only_p2 = expect(await http.get(f"/crm/v1/clients/{w['a'].id}/activity?premise_id={w['p2'].id}",
                                    headers=w["key"]), 200)
    assert subjects(only_p2) == ["Не работает домофон"]


async def test_crm_act_01_search_by_subject_and_filters(http, db, clock):
    """Rule: CRM-ACT-01 — search by subject; filter by type, client and request status."""
    w = await _world(http, db, clock)
    base = f"/crm/v1/premises/{w['p'].id}/activity"
    assert subjects(expect(await http.get(f"{base}?q=КРАН", headers=w["key"]), 200)) == ["Протекает кран"]
    assert subjects(expect(await http.get(f"{base}?q=%25", headers=w["key"]), 200)) == []
    assert subjects(expect(await http.get(f"{base}?type=marketplace_order", headers=w["key"]), 200)) == [
        "Уборка квартиры"]
    assert subjects(expect(await http.get(f"{base}?client_id={w['b'].id}", headers=w["key"]), 200)) == [
        "Звонок о пропуске", "Уборка квартиры"]
    expect(await http.patch(f"/crm/v1/orders/{w['leak']['id']}", headers=w["key"], json={"status": "done"}), 200)
    done = expect(await http.get(f"{base}?status=done", headers=w["key"]), 200)
    assert subjects(done) == ["Протекает кран"] and done["counters"] == {"active_requests": 1, "total": 2}
    bad = await http.get(f"{base}?type=party", headers=w["key"])
    assert bad.status_code == 400
    bad = await http.get(f"{base}?client_id=nope", headers=w["key"])
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "client_id"


async def test_crm_act_01_feed_pages_with_a_cursor(http, db, clock):
    w = await _world(http, db, clock)
    base = f"/crm/v1/premises/{w['p'].id}/activity"
    first = expect(await http.get(f"{base}?limit=2", headers=w["key"]), 200)
    second = expect(await http.get(f"{base}?limit=2&cursor={first['next_cursor']}", headers=w["key"]), 200)
    assert subjects(first) + subjects(second) == ["Звонок о пропуске", "Уборка квартиры", "Протекает кран"]
    assert second["next_cursor"] is None


async def test_staff_02_activity_masks_names_and_phones(http, db, clock):
    """Rule: STAFF-02 — without the PII permissions names and phones in activity are masked;
    unmasked reads are audited."""
    w = await _world(http, db, clock)
    masked = await staff_headers(http, w["partner"], permissions=NO_PII)
    feed = expect(await http.get(f"/crm/v1/clients/{w['a'].id}/activity", headers=masked), 200)
    person = feed["items"][0]["client"]
    assert person["full_name"] == "****** **** ********" and set(person["phone"]) == {"*"}
    assert await db.scalar(select(AuditRecord.id).where(AuditRecord.action == "pii.read")) is None

    names_only = await staff_headers(http, w["partner"], permissions=[*NO_PII, "clients.pii.name"])
    person = expect(await http.get(f"/crm/v1/clients/{w['a'].id}/activity", headers=names_only),
                    200)["items"][0]["client"]
    assert person["full_name"] == "Иванов Иван Иванович" and set(person["phone"]) == {"*"}
    audit = await db.scalar(select(AuditRecord).where(AuditRecord.action == "pii.read"))
    assert audit.fields == ["name"] and audit.details["client_ids"] == [str(w["a"].id)]


async def test_activity_needs_its_permission_and_stays_in_the_partner(http, db, clock):
    """Rule: STAFF-04 — another partner's premise or client answers 404 like an unknown one."""
    w = await _world(http, db, clock)
    without = await staff_headers(http, w["partner"], permissions=["clients.pii.name"])
    answer = await http.get(f"/crm/v1/premises/{w['p'].id}/activity", headers=without)
    assert answer.status_code == 403 and answer.json()["code"] == "permission_required"
    stranger = await staff_headers(http, await create_partner(http))
    for path in (f"/crm/v1/premises/{w['p'].id}/activity", f"/crm/v1/clients/{w['a'].id}/activity",
                 "/crm/v1/clients/garbage/activity"):
        assert (await http.get(path, headers=stranger)).status_code == 404, path
