"""Orders fed by the partner's other products: numbering, statuses per kind, changes the client
has not seen, pushes."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Activity, Order, PushMessage
from tests.crm import factories as f
from tests.support import api_key_headers, create_partner, expect, login_resident, staff_headers


async def _world(http, db):
    partner = await create_partner(http)
    premise = await f.premise(db, partner)
    client = await f.client(db, partner)
    await f.link(db, premise, client)
    return partner, premise, client


def _order(premise, client, **extra) -> dict:
    return {"kind": "requests", "premise_id": str(premise.id), "client_id": str(client.id),
            "title": "Протекает кран", "status": "waiting", **extra}


async def test_orders_are_numbered_per_partner(http, db):
    partner, premise, client = await _world(http, db)
    other, other_premise, other_client = await _world(http, db)
    key, other_key = await api_key_headers(http, partner), await api_key_headers(http, other)
    numbers = [expect(await http.post("/crm/v1/orders", headers=key, json=_order(premise, client)), 201)["number"]
               for _ in range(3)]
    assert numbers == [1, 2, 3]
    first_other = expect(await http.post("/crm/v1/orders", headers=other_key,
                                         json=_order(other_premise, other_client)), 201)
    assert first_other["number"] == 1


async def test_status_must_match_the_kind(http, db):
    partner, premise, client = await _world(http, db)
    key = await api_key_headers(http, partner)
    wrong = await http.post("/crm/v1/orders", headers=key, json=_order(premise, client, kind="events"))
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "status"
    wrong = await http.post("/crm/v1/orders", headers=key, json=_order(premise, client, status="planned"))
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "status"
    event = expect(await http.post("/crm/v1/orders", headers=key,
                                   json=_order(premise, client, kind="events", status="planned")), 201)
    wrong = await http.patch(f"/crm/v1/orders/{event['id']}", headers=key, json={"status": "in_progress"})
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["field"] == "status"
    assert await db.scalar(select(Order.status).where(Order.id == f.uid(event["id"]))) == "planned"


async def test_status_change_and_comment_are_unseen_changes_pushed_to_the_client(http, db, clock):
    partner, premise, client = await _world(http, db)
    login = await login_resident(http, client.phone)
    key = await api_key_headers(http, partner)
    order = expect(await http.post("/crm/v1/orders", headers=key, json=_order(premise, client)), 201)
    card_before = (await db.scalar(select(Order).where(Order.id == f.uid(order["id"]))))
    assert card_before.changed_for_client_at is None

    clock.advance(minutes=5)
    card = expect(await http.patch(f"/crm/v1/orders/{order['id']}", headers=key,
                                   json={"status": "in_progress"}), 200)
    assert card["status"] == "in_progress" and card["changed_for_client_at"] == "2026-11-24T10:05:00Z"
    clock.advance(minutes=5)
    card = expect(await http.patch(f"/crm/v1/orders/{order['id']}", headers=key,
                                   json={"staff_comment": "Мастер придёт завтра"}), 200)
    assert card["changed_for_client_at"] == "2026-11-24T10:10:00Z"

    pushes = (await db.scalars(select(PushMessage).where(PushMessage.account_id == f.uid(login["account_id"]))
                               .order_by(PushMessage.created_at, PushMessage.body))).all()
    assert {p.type for p in pushes} == {"requests"} and len(pushes) == 2
    assert {p.deep_link for p in pushes} == {f"app://orders/{order['id']}"}
    assert any("В работе" in p.body for p in pushes) and any("Мастер придёт завтра" in p.body for p in pushes)


async def test_rating_or_same_status_is_no_change_for_the_client(http, db):
    partner, premise, client = await _world(http, db)
    await login_resident(http, client.phone)
    key = await api_key_headers(http, partner)
    order = expect(await http.post("/crm/v1/orders", headers=key, json=_order(premise, client)), 201)
    card = expect(await http.patch(f"/crm/v1/orders/{order['id']}", headers=key,
                                   json={"status": "waiting", "rating": 5}), 200)
    assert card["rating"] == 5 and card["changed_for_client_at"] is None
    assert await db.scalar(select(PushMessage.id).where(PushMessage.partner_id == f.uid(partner))) is None


async def test_push_type_follows_the_kind(http, db):
    partner, premise, client = await _world(http, db)
    login = await login_resident(http, client.phone)
    key = await api_key_headers(http, partner)
    for kind, status, new_status in (("services", "waiting", "done"), ("events", "planned", "ongoing")):
        order = expect(await http.post("/crm/v1/orders", headers=key,
                                       json=_order(premise, client, kind=kind, status=status)), 201)
        expect(await http.patch(f"/crm/v1/orders/{order['id']}", headers=key, json={"status": new_status}), 200)
    types = set((await db.scalars(select(PushMessage.type)
                                  .where(PushMessage.account_id == f.uid(login["account_id"])))).all())
    assert types == {"marketplace", "events"}


async def test_orders_appear_in_the_activity_feed(http, db):
    partner, premise, client = await _world(http, db)
    key = await api_key_headers(http, partner)
    request = expect(await http.post("/crm/v1/orders", headers=key, json=_order(premise, client)), 201)
    service = expect(await http.post("/crm/v1/orders", headers=key,
                                     json=_order(premise, client, kind="services", title="Уборка")), 201)
    expect(await http.patch(f"/crm/v1/orders/{request['id']}", headers=key, json={"status": "done"}), 200)
    rows = {(a.order_id, a.type, a.status) for a in (await db.scalars(
        select(Activity).where(Activity.client_id == client.id))).all()}
    assert rows == {(f.uid(request["id"]), "request", "done"), (f.uid(service["id"]), "marketplace_order", "waiting")}


async def test_staff_4_other_partners_ids_are_refused(http, db):
    """Rule: STAFF-04 — a body naming another partner's premise or client is a 400 naming the
    field; another partner's order is 404 like an unknown one."""
    partner, premise, client = await _world(http, db)
    other, other_premise, other_client = await _world(http, db)
    key, other_key = await api_key_headers(http, partner), await api_key_headers(http, other)
    bad = await http.post("/crm/v1/orders", headers=key, json=_order(other_premise, client))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "premise_id"
    bad = await http.post("/crm/v1/orders", headers=key, json=_order(premise, other_client))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "client_id"
    bad = await http.post("/crm/v1/orders", headers=key, json=_order(premise, client, client_id="nope"))
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "client_id"
    theirs = expect(await http.post("/crm/v1/orders", headers=other_key,
                                    json=_order(other_premise, other_client)), 201)
    assert (await http.patch(f"/crm/v1/orders/{theirs['id']}", headers=key, json={"status": "done"})).status_code == 404
    assert (await http.patch("/crm/v1/orders/garbage", headers=key, json={"status": "done"})).status_code == 404
    assert await db.scalar(select(Order.status).where(Order.id == f.uid(theirs["id"]))) == "waiting"
    assert await db.scalar(select(Order.id).where(Order.partner_id == f.uid(partner))) is None


async def test_staff_create_orders_and_unknown_fields_are_refused(http, db):
    partner, premise, client = await _world(http, db)
    # An order reaches the client's phone: it needs `clients.edit` (STAFF-01), nothing more.
    bare = await staff_headers(http, partner, permissions=[])
    refused = await http.post("/crm/v1/orders", headers=bare, json=_order(premise, client))
    assert refused.status_code == 403 and refused.json()["code"] == "permission_required"
    staff = await staff_headers(http, partner, permissions=["clients.edit"])
    expect(await http.post("/crm/v1/orders", headers=staff, json=_order(premise, client)), 201)
    bad = await http.post("/crm/v1/orders", headers=staff, json=_order(premise, client, colour="red"))
    assert bad.status_code == 400
