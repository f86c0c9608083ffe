"""Delivery through the real firebase-admin SDK against the fake FCM server (PUSH-05)."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import select

from core.models import Account, DeviceSession, PushDelivery
from core.notifications import outbox
from core.notifications.rules import order_link
from tests.push.conftest import new_phone
from tests.push.fake_fcm import Reply


async def _resident_with_token(world, db, token: str, **device):
    phone = new_phone()
    await world.client(phone)
    resident = await world.resident(phone)
    await world.device(resident, fcm_token=token, os_notifications_enabled=True, **device)
    account_id = await db.scalar(select(Account.id).where(Account.phone == phone))
    return resident, account_id


async def _push(db, world, account_id, **extra):
    message_id = await outbox.enqueue_push(db, account_id=account_id, type=extra.pop("type", "requests"),
                                        title="Заявка выполнена", body="Ваша заявка №12 выполнена",
                                        partner_id=world.partner_id, premise_id=world.premise_id, **extra)
    await db.commit()
    return message_id


async def _delivery(db, message_id) -> PushDelivery:
    db.expire_all()
    return await db.scalar(select(PushDelivery).where(PushDelivery.message_id == message_id))


async def test_push_05_sent_through_the_sdk_with_tag_collapse_id_and_payload(world, db, fcm, fake_fcm):
    """Rule: PUSH-05, PUSH-04"""
    _, account_id = await _resident_with_token(world, db, "tok-ok")
    message_id = await _push(db, world, account_id, deep_link=order_link("o-12"))
    await fcm.drain()
    [got] = fake_fcm.delivered("tok-ok")
    assert got.tag == str(message_id) and got.collapse_id == str(message_id)
    assert got.data["deep_link"] == "app://orders/o-12"
    assert got.data["brand"] == world.brand["slug"] and got.data["type"] == "requests"
    assert got.data["premise_id"] == str(world.premise_id) and got.title == "Заявка выполнена"
    delivery = await _delivery(db, message_id)
    assert delivery.status == "sent" and delivery.fcm_message_id.startswith("projects/fake/messages/")
    # Acknowledged work is never claimed again.
    await fcm.drain()
    assert len(fake_fcm.delivered("tok-ok")) == 1


async def test_push_05_unregistered_and_invalid_tokens_are_detached_at_once(world, db, fcm, fake_fcm):
    """Rule: PUSH-05"""
    gone, gone_account = await _resident_with_token(world, db, "tok-unregistered")
    bad, bad_account = await _resident_with_token(world, db, "tok-invalid")
    fake_fcm.fail_always("tok-unregistered", Reply("UNREGISTERED"))
    fake_fcm.fail_always("tok-invalid", Reply("INVALID_ARGUMENT"))
    first = await _push(db, world, gone_account)
    second = await _push(db, world, bad_account)
    await fcm.drain()
    for message_id, resident in ((first, gone), (second, bad)):
        delivery = await _delivery(db, message_id)
        assert delivery.status == "failed" and delivery.attempts == 1
        session = await db.get(DeviceSession, uuid.UUID(resident["session_id"]))
        assert session.fcm_token is None
    assert len(fake_fcm.received) == 2  # no retry of a dead token


async def test_push_05_backoff_honours_retry_after_and_the_sdk_does_not_retry(world, db, fcm, fake_fcm, clock):
    """Rule: PUSH-05"""
    _, account_id = await _resident_with_token(world, db, "tok-429")
    fake_fcm.script("tok-429", Reply("QUOTA_EXCEEDED", headers={"Retry-After": "120"}))
    message_id = await _push(db, world, account_id)
    start = clock.now()
    await fcm.drain()
    delivery = await _delivery(db, message_id)
    assert delivery.status == "pending" and delivery.next_attempt_at >= start + timedelta(seconds=120)
    assert len(fake_fcm.received) == 1  # one HTTP attempt: the SDK's own retries are off
    clock.advance(seconds=60)
    await fcm.drain()
    assert len(fake_fcm.received) == 1
    clock.set(delivery.next_attempt_at)
    await fcm.drain()
    assert (await _delivery(db, message_id)).status == "sent"
    assert len(fake_fcm.delivered("tok-429")) == 1


async def test_push_05_a_30_second_503_storm_ends_in_delivery(world, db, fcm, fake_fcm, clock):
    """Rule: PUSH-05"""
    _, account_id = await _resident_with_token(world, db, "tok-storm")
    message_id = await _push(db, world, account_id)
    fake_fcm.storm_until = clock.now() + timedelta(seconds=30)
    for _ in range(20):
        await fcm.drain()
        delivery = await _delivery(db, message_id)
        if delivery.status != "pending":
            break
        clock.set(delivery.next_attempt_at)
    assert delivery.status == "sent"
    assert clock.now() >= fake_fcm.storm_until
    assert 2 < delivery.attempts <= 8  # exponential: 1+2+4+8+16 s covers the storm
    assert len(fake_fcm.received) == delivery.attempts  # every attempt was ours, none the SDK's
    assert {r.tag for r in fake_fcm.received} == {str(message_id)}


async def test_push_05_timeout_after_sending_is_resent_under_the_same_tag(world, db, fcm, fake_fcm, clock):
    """Rule: PUSH-05: an ambiguous failure is resent, counted, and collapses on the phone."""
    from push.fcm import FcmTransport

    _, account_id = await _resident_with_token(world, db, "tok-slow")
    fake_fcm.script("tok-slow", Reply(delay=0.6))
    message_id = await _push(db, world, account_id)
    await fcm.transport.close()
    fcm.transport = FcmTransport(type(fcm.config)(**{**{f: getattr(fcm.config, f) for f in fcm.config.__slots__},
                                                     "http_timeout_seconds": 0.3}), clock.now)
    await fcm.drain()
    delivery = await _delivery(db, message_id)
    assert delivery.status == "sending" and "DEADLINE_EXCEEDED" in delivery.error
    clock.set(delivery.next_attempt_at)
    await fcm.drain()
    delivery = await _delivery(db, message_id)
    assert delivery.status == "sent" and delivery.resends == 1
    assert [r.tag for r in fake_fcm.received] == [str(message_id)] * 2


async def test_push_05_sender_mismatch_halts_the_project_loudly(world, db, fcm, fake_fcm, caplog):
    """Rule: PUSH-05"""
    _, account_id = await _resident_with_token(world, db, "tok-mismatch")
    fake_fcm.fail_always("tok-mismatch", Reply("SENDER_ID_MISMATCH"))
    message_id = await _push(db, world, account_id)
    with caplog.at_level(logging.CRITICAL):
        await fcm.drain()
    assert "halted" in caplog.text
    delivery = await _delivery(db, message_id)
    assert delivery.status == "pending" and delivery.attempts == 0  # kept for when it is fixed
    _, other = await _resident_with_token(world, db, "tok-other")
    await _push(db, world, other)
    await fcm.drain()
    assert len(fake_fcm.received) == 1  # the halted project is not called again


async def test_push_03_a_deactivated_session_gets_nothing_more(world, db, fcm, fake_fcm, http):
    """Rule: PUSH-03"""
    resident, account_id = await _resident_with_token(world, db, "tok-deact")
    await fcm.fan_out_once()
    message_id = await _push(db, world, account_id)
    await fcm.fan_out_once()  # queued for the session before staff end it
    answer = await http.delete(f"/crm/v1/sessions/{resident['session_id']}", headers=world.staff)
    assert answer.status_code == 204
    await fcm.drain()
    assert fake_fcm.received == []
    assert (await _delivery(db, message_id)).status == "skipped"


async def test_push_02_an_opt_out_after_queueing_is_respected(world, db, fcm, fake_fcm):
    """Rule: PUSH-02, PUSH-04"""
    resident, account_id = await _resident_with_token(world, db, "tok-optout")
    message_id = await _push(db, world, account_id)
    await fcm.fan_out_once()
    await world.device(resident, notification_types={"requests": False})
    await fcm.drain()
    assert fake_fcm.received == []
    delivery = await _delivery(db, message_id)
    assert (delivery.status, delivery.error) == ("skipped", "type_disabled")
