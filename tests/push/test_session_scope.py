"""STAFF-04 for device sessions: a session belongs to the app it was opened in. Partner B, who
types partner A's resident's phone into a card of its own, sees nothing of what that phone does
in A's white-label app: no session, no delivery, no first login or last visit, no app-side name,
no monitor figure, and cannot end the session. The unified app's sessions show to B only while
the account has one of B's premises."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.models import DeviceSession, PushDelivery
from tests.crm.estate import link, make_client, make_object, make_premise, partner_with_staff
from tests.push.conftest import new_phone
from tests.support import expect


async def _resident_of_a(world, http, recorded) -> tuple[str, uuid.UUID, dict]:
    """A's resident: a card on A's premise, logged in to A's white-label app with a push token,
    one push from A delivered to it."""
    phone = new_phone()
    card = await world.client(phone)
    expect(await http.post(f"/crm/v1/premises/{world.premise_id}/clients", headers=world.staff,
                           json={"client_id": str(card.id), "role": "owner"}), 201)
    resident = await world.resident(phone)
    await world.device(resident, fcm_token=f"tok-{phone}", os_notifications_enabled=True)
    expect(await http.post("/crm/v1/notifications", headers=world.staff, json={
        "client_id": str(card.id), "type": "news", "title": "Новости А", "body": "Только для жителей А"}), 201)
    await recorded.drain()
    return phone, card.id, resident


async def _alive(http, resident) -> bool:
    return (await http.put("/app/v1/device", json={}, headers=resident["headers"])).status_code == 200


async def test_staff_04_another_partners_card_with_the_phone_sees_nothing_of_a_white_label_session(
        world, http, recorded, clock):
    """Rule: STAFF-04, PUSH-03 — partner B's card with the phone of A's white-label resident: the
    sessions list is empty, the session cannot be ended (404, it stays alive), the card and the
    list show no login, visit or app name, the deliveries list shows nothing of A's pushes."""
    phone, a_card, resident = await _resident_of_a(world, http, recorded)
    session_id = resident["session_id"]
    a_sessions = expect(await http.get(f"/crm/v1/clients/{a_card}/sessions", headers=world.staff), 200)["items"]
    assert [s["session_id"] for s in a_sessions] == [session_id]

    _, b_staff = await partner_with_staff(http, name="УК Б")
    b_card = await make_client(http, b_staff, "Иванов", "Иван", phone)
    assert expect(await http.get(f"/crm/v1/clients/{b_card}/sessions", headers=b_staff), 200)["items"] == []
    assert (await http.delete(f"/crm/v1/sessions/{session_id}", headers=b_staff)).status_code == 404
    assert await _alive(http, resident)
    card = expect(await http.get(f"/crm/v1/clients/{b_card}", headers=b_staff), 200)
    assert (card["has_logged_in"], card["first_login_at"], card["last_visit_at"], card["app_name"]) == (
        False, None, None, None)
    for sort in ("name", "-last_visit"):  # a page's own cards, and the whole list sorted by visits
        rows = expect(await http.get("/crm/v1/clients", headers=b_staff, params={"sort": sort}), 200)["items"]
        assert [(r["id"], r["last_visit_at"]) for r in rows] == [(b_card, None)]
        rows = expect(await http.get("/crm/v1/clients", headers=world.staff, params={"sort": sort}), 200)["items"]
        assert [r["id"] for r in rows if r["last_visit_at"]] == [str(a_card)]
    assert expect(await http.get("/crm/v1/push/deliveries", headers=b_staff,
                                 params={"client_id": b_card}), 200)["items"] == []
    assert expect(await http.get("/crm/v1/push/deliveries", headers=b_staff), 200)["items"] == []
    # Changing the phone of B's card is no refusal that would tell B the phone logged in somewhere.
    assert (await http.patch(f"/crm/v1/clients/{b_card}", headers=b_staff,
                             json={"phone": new_phone()})).status_code == 200

    # A still sees all of it.
    card = expect(await http.get(f"/crm/v1/clients/{a_card}", headers=world.staff), 200)
    assert card["has_logged_in"] is True and card["last_visit_at"] is not None
    assert len(expect(await http.get("/crm/v1/push/deliveries", headers=world.staff,
                                     params={"client_id": str(a_card)}), 200)["items"]) == 1


async def test_staff_04_pushes_mailings_and_monitor_of_another_partner_skip_a_white_label_session(
        world, db, http, recorded, clock):
    """Rule: STAFF-04, PUSH-04, PUSH-06, PUSH-07 — B's mailing to its card with A's resident's
    phone reaches no device of A's app and reads `no_app`; B's monitor counts nobody."""
    phone, _, resident = await _resident_of_a(world, http, recorded)
    _, b_staff = await partner_with_staff(http, name="УК Б")
    b_card = await make_client(http, b_staff, "Иванов", "Иван", phone)
    mailing = expect(await http.post("/crm/v1/mailings", headers=b_staff, json={
        "channel": "push", "title": "Рассылка Б", "body": "Текст", "filter": {"client_ids": [b_card]}}), 201)
    expect(await http.post("/crm/v1/notifications", headers=b_staff, json={
        "client_id": b_card, "type": "news", "title": "Новости Б", "body": "Текст"}), 201)
    await recorded.drain()
    card = expect(await http.get(f"/crm/v1/mailings/{mailing['id']}", headers=b_staff), 200)
    assert card["counts"] == {"no_app": 1}
    deliveries = (await db.scalars(select(PushDelivery).where(
        PushDelivery.session_id == uuid.UUID(resident["session_id"])))).all()
    assert len(deliveries) == 1  # A's own push only
    today = clock.now().date().isoformat()
    b_monitor = expect(await http.get("/crm/v1/monitor/push", headers=b_staff,
                                      params={"from": today, "to": today}), 200)
    assert b_monitor["buckets"][0]["active_users"] == 0
    a_monitor = expect(await http.get("/crm/v1/monitor/push", headers=world.staff,
                                      params={"from": today, "to": today}), 200)
    assert a_monitor["buckets"][0]["active_users"] == 1


async def test_staff_04_unified_app_sessions_show_only_while_the_account_has_a_premise_of_the_partner(
        world, db, http, recorded):
    """Rule: STAFF-04, PUSH-03 — the unified app's session shows to B (and B may end it) only once
    the account has a premise of B; the white-label session of A never does."""
    phone, _, white_label = await _resident_of_a(world, http, recorded)
    unified = await world.resident(phone, app_id="domiland")
    _, b_staff = await partner_with_staff(http, name="УК Б")
    b_card = await make_client(http, b_staff, "Иванов", "Иван", phone)
    assert expect(await http.get(f"/crm/v1/clients/{b_card}/sessions", headers=b_staff), 200)["items"] == []
    assert (await http.delete(f"/crm/v1/sessions/{unified['session_id']}", headers=b_staff)).status_code == 404

    await link(http, b_staff, await make_premise(http, b_staff, await make_object(http, b_staff, "ЖК Б")), b_card)
    items = expect(await http.get(f"/crm/v1/clients/{b_card}/sessions", headers=b_staff), 200)["items"]
    assert [s["session_id"] for s in items] == [unified["session_id"]]
    card = expect(await http.get(f"/crm/v1/clients/{b_card}", headers=b_staff), 200)
    assert card["has_logged_in"] is True
    assert (await http.delete(f"/crm/v1/sessions/{white_label['session_id']}", headers=b_staff)).status_code == 404
    assert await _alive(http, white_label)
    assert (await http.delete(f"/crm/v1/sessions/{unified['session_id']}", headers=b_staff)).status_code == 204
    assert not await _alive(http, unified)
    db.expire_all()
    assert (await db.get(DeviceSession, uuid.UUID(white_label["session_id"]))).deactivated_at is None
