"""Device settings (PUSH-01/02), staff sessions (PUSH-03), mailings (PUSH-06), monitor (PUSH-07)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.models import DeviceSession, NotificationSettingsEvent, SmsMessage
from push.mailings import send_sms_mailings
from tests.push.conftest import new_phone
from tests.support import create_partner, staff_headers


async def test_push_02_token_moves_settings_and_events_are_recorded(world, db, clock):
    """Rule: PUSH-02"""
    phone = new_phone()
    first = await world.resident(phone)
    second = await world.resident(phone)
    await world.device(first, fcm_token="shared-token")
    clock.advance(minutes=5)
    answer = await world.device(second, fcm_token="shared-token", os_notifications_enabled=True,
                                notification_types={"bills": False, "unknown-new-type": False})
    assert answer["notification_types"]["bills"] is False and answer["notification_types"]["news"] is True
    assert "unknown-new-type" not in answer["notification_types"]
    db.expire_all()
    old = await db.get(DeviceSession, uuid.UUID(first["session_id"]))
    new = await db.get(DeviceSession, uuid.UUID(second["session_id"]))
    assert old.fcm_token is None and new.fcm_token == "shared-token"
    assert new.notification_types_changed_at == {"bills": clock.now().isoformat()}
    clock.advance(minutes=1)
    await world.device(second, os_notifications_enabled=False)
    events = (await db.scalars(select(NotificationSettingsEvent).where(
        NotificationSettingsEvent.session_id == new.id).order_by(NotificationSettingsEvent.created_at))).all()
    assert [(e.os_notifications_enabled, e.push_enabled, e.opt_out) for e in events] == [
        (True, True, False), (False, False, True)]
    assert events[0].app_version_num == 4008000


async def test_push_01_03_staff_see_sessions_and_deactivate_them(world, db, http, clock):
    """Rule: PUSH-01, PUSH-03"""
    phone = new_phone()
    client = await world.client(phone)
    resident = await world.resident(phone)
    bare = await world.resident(phone, name=None, model=None)
    await world.device(resident, fcm_token="tok-s", os_notifications_enabled=True, notification_types={"news": False})
    await world.device(bare, os_notifications_enabled=False, notification_types={"news": False})
    answer = await http.get(f"/crm/v1/clients/{client.id}/sessions", headers=world.staff)
    assert answer.status_code == 200, answer.text
    items = {i["session_id"]: i for i in answer.json()["items"]}
    shown = items[resident["session_id"]]
    assert shown["device_name"] == "Pixel" and shown["os_notifications_enabled"] is True
    assert shown["notification_types"]["news"] is False and shown["notification_types"]["bills"] is True
    assert shown["settings_changed_at"] == "2026-11-24T10:00:00Z"
    hidden = items[bare["session_id"]]
    assert hidden["device_name"] == "Неизвестное устройство" and hidden["notification_types"] is None

    no_right = await staff_headers(http, str(world.partner_id), permissions=["clients.edit"])
    assert (await http.get(f"/crm/v1/clients/{client.id}/sessions", headers=no_right)).status_code == 403
    assert (await http.delete(f"/crm/v1/sessions/{resident['session_id']}", headers=no_right)).status_code == 403
    foreign = await staff_headers(http, await create_partner(http, name="Другая УК"))
    assert (await http.get(f"/crm/v1/clients/{client.id}/sessions", headers=foreign)).status_code == 404
    assert (await http.delete(f"/crm/v1/sessions/{resident['session_id']}", headers=foreign)).status_code == 404

    assert (await http.delete(f"/crm/v1/sessions/{resident['session_id']}", headers=world.staff)).status_code == 204
    # Its tokens stop working at once, and it leaves the staff list.
    assert (await http.put("/app/v1/device", json={}, headers=resident["headers"])).status_code == 401
    items = (await http.get(f"/crm/v1/clients/{client.id}/sessions", headers=world.staff)).json()["items"]
    assert [i["session_id"] for i in items] == [bare["session_id"]]
    db.expire_all()
    assert (await db.get(DeviceSession, uuid.UUID(resident["session_id"]))).fcm_token is None


async def test_push_06_mailing_fans_out_and_lists_on_the_client_card(world, db, http, recorded, runtime):
    """Rule: PUSH-06"""
    with_app, without_app, untagged = new_phone(), new_phone(), new_phone()
    a = await world.client(with_app, tags=["vip"])
    b = await world.client(without_app, tags=["vip"])
    await world.client(untagged)
    resident = await world.resident(with_app)
    await world.device(resident, fcm_token="tok-mail", os_notifications_enabled=True)
    answer = await http.post("/crm/v1/mailings", headers=world.staff, json={
        "channel": "push", "title": "Отключение воды", "body": "Завтра с 10:00 до 14:00", "filter": {"tags": ["vip"]}})
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert created["recipients"] == 2
    await recorded.drain()
    card = (await http.get(f"/crm/v1/mailings/{created['id']}", headers=world.staff)).json()
    assert card["status"] == "done" and card["counts"] == {"sent": 1, "no_app": 1}
    listed = (await http.get(f"/crm/v1/clients/{a.id}/mailings", headers=world.staff,
                             params={"q": "вод", "status": "sent", "channel": "push"})).json()["items"]
    assert [(i["mailing_id"], i["status"], i["sender_name"]) for i in listed] == [
        (created["id"], "sent", "Иван Петров")]
    assert (await http.get(f"/crm/v1/clients/{a.id}/mailings", headers=world.staff,
                           params={"q": "газ"})).json()["items"] == []
    assert (await http.get(f"/crm/v1/clients/{b.id}/mailings", headers=world.staff,
                           params={"status": "no_app"})).json()["items"][0]["mailing_id"] == created["id"]

    sms = (await http.post("/crm/v1/mailings", headers=world.staff, json={
        "channel": "sms", "title": "СМС", "body": "Собрание жильцов в пятницу",
        "filter": {"client_ids": [str(b.id)]}})).json()
    await recorded.drain()
    assert await send_sms_mailings(runtime) == 1  # SMS go out in a lane of their own
    assert (await db.scalar(select(SmsMessage.phone).where(SmsMessage.text == "Собрание жильцов в пятницу"))) \
        == without_app
    card = (await http.get(f"/crm/v1/mailings/{sms['id']}", headers=world.staff)).json()
    assert card["counts"] == {"sent": 1}

    no_right = await staff_headers(http, str(world.partner_id), permissions=["clients.edit"])
    assert (await http.post("/crm/v1/mailings", headers=no_right, json={
        "channel": "push", "title": "x", "body": "y", "filter": {}})).status_code == 403


async def test_push_07_monitor_counts_active_enabled_and_opt_outs_of_new_versions(world, db, http, clock):
    """Rule: PUSH-07"""
    phones = [new_phone() for _ in range(3)]
    for phone in phones:
        await world.client(phone)
    enabled = await world.resident(phones[0])
    await world.device(enabled, os_notifications_enabled=True)
    opted_out = await world.resident(phones[1])
    await world.device(opted_out, os_notifications_enabled=True)
    old = await world.resident(phones[2], app_version="4.6.9")
    await world.device(old, os_notifications_enabled=True)
    clock.advance(days=1)
    for resident in (opted_out, old):
        tokens = (await http.post("/app/v1/auth/refresh", json={"refresh_token": resident["refresh_token"]})).json()
        resident["headers"] = {"Authorization": f"Bearer {tokens['access_token']}"}
    await world.device(opted_out, notification_types={t: False for t in ("requests", "bills", "news", "events",
                       "marketplace", "people", "rent", "meters", "passes", "polls", "mailings", "chat")})
    await world.device(old, os_notifications_enabled=False)  # 4.6: does not count
    world.staff = await staff_headers(http, str(world.partner_id))  # a day later: a fresh staff token
    answer = await http.get("/crm/v1/monitor/push", headers=world.staff,
                            params={"from": "2026-11-24", "to": "2026-11-25", "granularity": "day"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["buckets"] == [
        {"start": "2026-11-24", "active_users": 2, "push_enabled_users": 2, "opt_outs": 0},
        {"start": "2026-11-25", "active_users": 1, "push_enabled_users": 0, "opt_outs": 1},
    ]
    assert body["opt_outs_total"] == 1
    weekly = (await http.get("/crm/v1/monitor/push", headers=world.staff,
                             params={"from": "2026-11-24", "to": "2026-11-25", "granularity": "week"})).json()
    assert weekly["buckets"] == [{"start": "2026-11-23", "active_users": 2, "push_enabled_users": 2, "opt_outs": 1}]
