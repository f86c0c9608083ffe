"""The outbox, recipients (PUSH-04), recorded-only transport (PUSH-08) and the push log."""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import select

from core.models import Account, PushDelivery, PushMessage
from core.notifications import outbox, rules
from push.transport import RecordingTransport
from tests.push.conftest import new_phone


async def _account_id(db, phone: str) -> uuid.UUID:
    return await db.scalar(select(Account.id).where(Account.phone == phone))


async def test_push_04_goes_to_every_active_session_with_permission_and_type_on(world, db, recorded, http):
    """Rule: PUSH-04"""
    phone = new_phone()
    await world.client(phone)
    on = await world.resident(phone)                      # never reported: counts as on
    allowed = await world.resident(phone)
    os_off = await world.resident(phone)
    type_off = await world.resident(phone)
    gone = await world.resident(phone)
    await world.device(allowed, fcm_token="tok-allowed", os_notifications_enabled=True)
    await world.device(os_off, fcm_token="tok-os-off", os_notifications_enabled=False)
    await world.device(type_off, fcm_token="tok-type-off", os_notifications_enabled=True,
                       notification_types={"bills": False})
    await world.device(gone, fcm_token="tok-gone")
    assert (await http.post("/app/v1/auth/logout", headers=gone["headers"])).status_code == 204

    account_id = await _account_id(db, phone)
    message_id = await outbox.enqueue_push(db, account_id=account_id, type="bills", title="Новый счёт",
                                        body="Счёт за ноябрь: 1520.00 ₽", partner_id=world.partner_id,
                                        premise_id=world.premise_id)
    await db.commit()
    await recorded.drain()

    rows = {r.session_id: r for r in (await db.scalars(
        select(PushDelivery).where(PushDelivery.message_id == message_id))).all()}
    status = {sid: (rows[uuid.UUID(sid)].status, rows[uuid.UUID(sid)].error) for sid in
              [s["session_id"] for s in (on, allowed, os_off, type_off)]}
    assert status[on["session_id"]] == ("recorded", None)
    assert status[allowed["session_id"]] == ("recorded", None)
    assert status[os_off["session_id"]] == ("skipped", "os_disabled")
    assert status[type_off["session_id"]] == ("skipped", "type_disabled")
    assert uuid.UUID(gone["session_id"]) not in rows

    # The payload carries the deep link and the brand of the premise.
    listed = (await http.get("/crm/v1/push/deliveries", headers=world.staff)).json()["items"]
    sent = next(i for i in listed if i["session_id"] == allowed["session_id"])
    assert sent["deep_link"] == f"app://premises/{world.premise_id}"
    assert sent["brand"] == world.brand["slug"]
    assert sent["status"] == "recorded" and sent["type"] == "bills" and sent["title"] == "Новый счёт"


async def test_push_08_without_credentials_pushes_are_recorded_and_visible(world, db, recorded, http, caplog):
    """Rule: PUSH-08"""
    with caplog.at_level(logging.WARNING):
        RecordingTransport()
    assert "FCM is not configured" in caplog.text
    phone = new_phone()
    client = await world.client(phone)
    resident = await world.resident(phone)
    await world.device(resident, fcm_token="t-08", os_notifications_enabled=True)
    await outbox.enqueue_push(db, account_id=await _account_id(db, phone), type="people", title="Новый житель",
                           body="Вас добавили в помещение", partner_id=world.partner_id,
                           deep_link=rules.people_link(world.premise_id), data={"person_id": "p1"})
    await db.commit()
    await recorded.drain()
    answer = await http.get("/crm/v1/push/deliveries", params={"client_id": str(client.id)}, headers=world.staff)
    assert answer.status_code == 200
    [item] = answer.json()["items"]
    assert item["status"] == "recorded"
    assert item["deep_link"] == f"app://people?premise_id={world.premise_id}"
    assert item["data"]["person_id"] == "p1"
    assert set(item) >= {"id", "session_id", "type", "title", "deep_link", "status", "created_at"}


async def test_dedup_key_writes_a_notification_once(world, db):
    phone = new_phone()
    await world.resident(phone)
    account_id = await _account_id(db, phone)
    first = await outbox.enqueue_push(db, account_id=account_id, type="news", title="Новость", body="Текст",
                                   dedup_key="news:1")
    again = await outbox.enqueue_push(db, account_id=account_id, type="news", title="Новость", body="Текст",
                                   dedup_key="news:1")
    assert first is not None and again is None
    assert await db.scalar(select(PushMessage.id).where(PushMessage.dedup_key == "news:1")) == first


async def test_outbox_rolls_back_with_the_change_that_caused_it(world, db, runtime):
    phone = new_phone()
    await world.resident(phone)
    account_id = await _account_id(db, phone)
    async with runtime.sessionmaker() as other:
        await outbox.enqueue_push(other, account_id=account_id, type="news", title="x", body="y", dedup_key="rb")
        await other.rollback()
    assert await db.scalar(select(PushMessage.id).where(PushMessage.dedup_key == "rb")) is None


async def test_throttle_per_account_and_type_defers_instead_of_dropping(world, db, clock, recorded):
    phone = new_phone()
    resident = await world.resident(phone)
    await world.device(resident, fcm_token="t-thr")
    account_id = await _account_id(db, phone)
    outbox.use_throttles({"chat": rules.Throttle(limit=3, window_seconds=60)})
    ids = [await outbox.enqueue_push(db, account_id=account_id, type="chat", title=f"m{i}", body="b") for i in range(5)]
    await db.commit()
    await recorded.drain()
    done = lambda: db.scalars(select(PushDelivery.message_id).where(PushDelivery.status == "recorded"))  # noqa: E731
    assert set((await done()).all()) == set(ids[:3])
    clock.advance(seconds=61)
    await recorded.drain()
    db.expire_all()
    assert set((await done()).all()) == set(ids)


async def test_deliveries_are_scoped_to_the_partner(world, db, http, recorded):
    from tests.support import create_partner, staff_headers

    phone = new_phone()
    client = await world.client(phone)
    await world.resident(phone)
    await outbox.enqueue_push(db, account_id=await _account_id(db, phone), type="news", title="x", body="y",
                           partner_id=world.partner_id)
    await db.commit()
    await recorded.drain()
    other = await staff_headers(http, await create_partner(http, name="Чужая УК"))
    assert (await http.get("/crm/v1/push/deliveries", headers=other)).json()["items"] == []
    answer = await http.get("/crm/v1/push/deliveries", params={"client_id": str(client.id)}, headers=other)
    assert answer.status_code == 404
