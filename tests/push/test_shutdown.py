"""A worker told to stop (SIGTERM) finishes the batch it is sending and returns the batch it
claimed ahead to the queue at once, instead of leaving it to the end of its lease."""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import select

from core.models import Account, PushDelivery
from core.notifications import outbox
from push.config import PushConfig
from push.delivery import Deliverer
from push.service import run_push
from push.transport import SendResult
from tests.push.conftest import new_phone


class StopWhileSending:
    """Answers `sent`, but only once the next batch has been claimed, and asks the worker to stop."""

    name = "fcm"

    def __init__(self, stop: asyncio.Event, claimed_ahead: asyncio.Event):
        self.stop, self.claimed_ahead = stop, claimed_ahead
        self.sent: list[str] = []

    async def send(self, batch):
        await self.claimed_ahead.wait()
        self.stop.set()
        self.sent += [push.token for push in batch]
        return [SendResult("sent", fcm_message_id=f"m-{push.token}") for push in batch]

    async def close(self):
        pass


class Observed(Deliverer):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.claims = 0
        self.claimed_ahead = asyncio.Event()

    async def claim_batch(self):
        batch = await super().claim_batch()
        if batch:
            self.claims += 1
            if self.claims == 2:
                self.claimed_ahead.set()
        return batch


@pytest.mark.committed
async def test_push_05_stopping_worker_finishes_its_batch_and_returns_what_it_claimed_ahead(world, db, runtime):
    """Rule: PUSH-05 — graceful shutdown: the batch in flight is sent and written; the batch
    claimed ahead goes back as it was (no attempt, no resend counted) and is due at once; the
    next worker sends it once."""
    tokens = []
    for i in range(3):
        phone = new_phone()
        await world.client(phone)
        await world.device(await world.resident(phone), fcm_token=f"tok-stop-{i}", os_notifications_enabled=True)
        tokens.append(f"tok-stop-{i}")
        account_id = await db.scalar(select(Account.id).where(Account.phone == phone))
        await outbox.enqueue_push(db, account_id=account_id, type="bills", title="Счёт", body="Новый счёт",
                               partner_id=world.partner_id)
    await db.commit()

    stop = asyncio.Event()
    config = PushConfig(batch_size=1, fan_out_batch=10)
    worker = Observed(runtime, StopWhileSending(stop, asyncio.Event()), config, rng=random.Random(1))
    worker.transport.claimed_ahead = worker.claimed_ahead
    await asyncio.wait_for(run_push(worker, stop), timeout=30)

    rows = (await db.scalars(select(PushDelivery).execution_options(populate_existing=True))).all()
    by_status = sorted((r.status, r.attempts, r.resends, r.lease_until is None) for r in rows)
    assert worker.claims == 2 and len(worker.transport.sent) == 1
    # One sent; the one claimed ahead is pending again with its attempt taken back; one untouched.
    assert by_status == [("pending", 0, 0, True), ("pending", 0, 0, True), ("sent", 1, 0, True)]
    assert all(r.next_attempt_at <= runtime.clock.now() for r in rows if r.status == "pending")

    # The next worker sends the other two, once each.
    successor = Deliverer(runtime, StopWhileSending(asyncio.Event(), asyncio.Event()), config)
    successor.transport.claimed_ahead.set()
    await successor.drain()
    assert sorted(worker.transport.sent + successor.transport.sent) == tokens
    rows = (await db.scalars(select(PushDelivery).execution_options(populate_existing=True))).all()
    assert [(r.status, r.attempts, r.resends) for r in rows] == [("sent", 1, 0)] * 3
