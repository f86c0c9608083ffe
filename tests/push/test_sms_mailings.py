"""SMS mailings (PUSH-06) go out of the push pipeline: each recipient claimed, sent with its
idempotency key and recorded on its own, a failing gateway retried with backoff until the
attempts run out, and a dead gateway delays only SMS."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import msgspec
import pytest
from sqlalchemy import select

from core.models import Account, MailingRecipient
from core.notifications import outbox
from push.mailings import SMS_RETRY, claim_sms, send_sms_mailings
from tests.push.conftest import new_phone, use_sms_gateway


async def _sms_mailing(world, http, clients) -> str:
    answer = await http.post("/crm/v1/mailings", headers=world.staff, json={
        "channel": "sms", "title": "СМС", "body": "Собрание жильцов в пятницу",
        "filter": {"client_ids": [str(c.id) for c in clients]}})
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


async def _recipients(db, mailing_id: str) -> dict[uuid.UUID, MailingRecipient]:
    rows = (await db.scalars(select(MailingRecipient).where(MailingRecipient.mailing_id == uuid.UUID(mailing_id))
                             .execution_options(populate_existing=True))).all()
    return {r.client_id: r for r in rows}


@pytest.mark.committed
async def test_push_06_failing_gateway_is_retried_with_backoff_then_failed(world, db, http, runtime, clock,
                                                                            sms_gateway, monkeypatch):
    """Rule: PUSH-06 — a gateway answering 500: the recipient is tried again later (backoff),
    always under its own idempotency key, and `failed` with the reason after SMS_MAX_ATTEMPTS."""
    monkeypatch.setattr(runtime, "settings", msgspec.structs.replace(runtime.settings, sms_max_attempts=3))
    client = await world.client(new_phone())
    mailing_id = await _sms_mailing(world, http, [client])
    sms_gateway.mode = "fail"

    assert await send_sms_mailings(runtime) == 1
    first = (await _recipients(db, mailing_id))[client.id]
    assert (first.status, first.attempts) == ("pending", 1) and first.error
    assert first.next_attempt_at >= clock.now() + timedelta(seconds=SMS_RETRY.base_seconds / 2)
    assert await send_sms_mailings(runtime) == 0  # not due yet: nothing is sent
    for attempt in (2, 3):
        clock.advance(hours=1)
        assert await send_sms_mailings(runtime) == 1
    last = (await _recipients(db, mailing_id))[client.id]
    assert (last.status, last.attempts) == ("failed", 3) and last.error
    clock.advance(hours=1)
    assert await send_sms_mailings(runtime) == 0
    keys = {(r.idempotency_key, r.body["idempotency_key"]) for r in sms_gateway.received}
    assert keys == {(f"mailing-recipient:{last.id}",) * 2} and len(sms_gateway.received) == 3
    card = (await http.get(f"/crm/v1/mailings/{mailing_id}", headers=world.staff)).json()
    assert card["status"] == "done" and card["counts"] == {"failed": 1}


@pytest.mark.committed
async def test_push_06_a_crash_mid_mailing_resends_only_the_recipient_in_flight(world, db, http, runtime, clock,
                                                                                sms_gateway):
    """Rule: PUSH-06 — a worker that died after claiming one recipient leaves the others as
    they were recorded: after the lease only that one is sent again, with the same key."""
    clients = [await world.client(new_phone()) for _ in range(3)]
    mailing_id = await _sms_mailing(world, http, clients)
    [lost] = await claim_sms(runtime, 1)  # the worker dies here, before sending or recording
    assert await send_sms_mailings(runtime) == 2
    assert await send_sms_mailings(runtime) == 0  # the lost one is under its lease
    clock.advance(minutes=5)
    assert await send_sms_mailings(runtime) == 1
    recipients = await _recipients(db, mailing_id)
    assert {r.status for r in recipients.values()} == {"sent"}
    keys = [r.idempotency_key for r in sms_gateway.received]
    assert sorted(keys) == sorted(f"mailing-recipient:{r.id}" for r in recipients.values())
    assert keys[-1] == f"mailing-recipient:{lost.id}" and recipients[clients[0].id].attempts + \
        recipients[clients[1].id].attempts + recipients[clients[2].id].attempts == 4


@pytest.mark.committed
async def test_push_06_dead_sms_gateway_does_not_hold_pushes(world, db, http, runtime, recorded, fake_sms_gateway,
                                                              monkeypatch):
    """Rule: PUSH-06, PUSH-05 — while the gateway holds an SMS of a mailing, the push pipeline
    fans out and delivers a push (it used to send the mailing's SMS inside its own step)."""
    phone = new_phone()
    await world.client(phone)
    await world.device(await world.resident(phone), fcm_token="tok-sms-lane", os_notifications_enabled=True)
    sms_gateway = use_sms_gateway(runtime, fake_sms_gateway, monkeypatch, "hang")
    mailing_id = await _sms_mailing(world, http, [await world.client(new_phone())])
    account_id = await db.scalar(select(Account.id).where(Account.phone == phone))
    await outbox.enqueue_push(db, account_id=account_id, type="bills", title="Счёт", body="Новый счёт",
                           partner_id=world.partner_id)
    await db.commit()

    sms = asyncio.create_task(send_sms_mailings(runtime))
    try:
        assert await asyncio.to_thread(sms_gateway.arrived.wait, 30)
        delivered = await asyncio.wait_for(recorded.drain(), timeout=30)
        assert delivered >= 1 and [r.answered for r in sms_gateway.received] == ["holding"]
    finally:
        sms_gateway.release.set()
        await sms
    recipients = await _recipients(db, mailing_id)
    assert [r.status for r in recipients.values()] == ["sent"]
