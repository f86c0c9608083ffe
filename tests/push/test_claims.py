"""A claim is the only writer of its deliveries (PUSH-05): a worker whose lease ran out and whose
batch was claimed again writes and gives back nothing, and a worker whose send outlives the lease
keeps its claim by renewing it."""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy import select

from core.models import Account, PushDelivery
from core.notifications import outbox
from push.config import PushConfig
from push.delivery import Deliverer
from push.transport import SendResult
from tests.push.conftest import ScriptedTransport, new_phone

LEASE = 60.0


async def _one_push(world, db, token: str) -> None:
    phone = new_phone()
    await world.client(phone)
    await world.device(await world.resident(phone), fcm_token=token, os_notifications_enabled=True)
    account_id = await db.scalar(select(Account.id).where(Account.phone == phone))
    await outbox.enqueue_push(db, account_id=account_id, type="bills", title="Счёт", body="Новый счёт",
                           partner_id=world.partner_id)
    await db.commit()


async def _delivery(db) -> PushDelivery:
    return (await db.scalars(select(PushDelivery).execution_options(populate_existing=True))).one()


def _worker(runtime, transport=None) -> Deliverer:
    return Deliverer(runtime, transport or ScriptedTransport(), PushConfig(lease_seconds=LEASE),
                     rng=random.Random(3))


@pytest.mark.parametrize("late_answer", [SendResult("retry", error="UNAVAILABLE: try later"),
                                         SendResult("failed", error="INVALID_ARGUMENT: bad payload")],
                         ids=["retry", "failed"])
async def test_push_05_a_late_writer_whose_claim_was_taken_over_writes_nothing(world, db, clock, runtime,
                                                                              late_answer):
    """Rule: PUSH-05 — worker A's answer comes after its lease ran out and B sent the push again:
    A's `retry` would have made the delivery `pending` (a third send), its `failed` would have
    marked a delivered push failed; it stays `sent`."""
    await _one_push(world, db, "tok-late")
    late, other = _worker(runtime), _worker(runtime)
    late.transport.answers["tok-late"] = [late_answer]
    await late.fan_out()
    batch = await late.claim_batch()
    results = await late.send_batch(batch)

    clock.advance(seconds=LEASE + 1)
    assert await other.deliver_once() == 1          # the lease ended: B claims it again and sends
    await late.write_outcomes(batch, results)        # A's late answer
    await late.release_batch(batch)                  # ... and a late give-back

    row = await _delivery(db)
    assert (row.status, row.attempts, row.resends, row.lease_until) == ("sent", 2, 1, None)
    clock.advance(seconds=3600)
    assert await other.drain() == 0 and await late.drain() == 0
    assert [p.token for p in late.transport.sent + other.transport.sent] == ["tok-late", "tok-late"]


async def test_push_05_a_late_give_back_leaves_the_new_claim_alone(world, db, clock, runtime):
    """Rule: PUSH-05 — A gives its batch back after B claimed it again: B's claim stays, nobody
    else sends it while B does."""
    await _one_push(world, db, "tok-give-back")
    late, holder, third = _worker(runtime), _worker(runtime), _worker(runtime)
    await late.fan_out()
    batch = await late.claim_batch()
    clock.advance(seconds=LEASE + 1)
    taken = await holder.claim_batch()
    assert [item.id for item in taken] == [item.id for item in batch]

    await late.release_batch(batch)
    assert await third.claim_batch() == []
    row = await _delivery(db)
    assert (row.status, row.attempts, row.resends) == ("sending", 2, 1)
    await holder.write_outcomes(taken, await holder.send_batch(taken))
    assert (await _delivery(db)).status == "sent"


class HeldSend:
    """A fake FCM that keeps the batch until the test lets it answer."""

    name = "fcm"

    def __init__(self) -> None:
        self.entered, self.answer = asyncio.Event(), asyncio.Event()
        self.sent: list[str] = []

    async def send(self, batch):
        self.sent += [push.token for push in batch]
        self.entered.set()
        await self.answer.wait()
        return [SendResult("sent", fcm_message_id=f"m-{push.token}") for push in batch]

    async def close(self) -> None:
        pass


class Pauses:
    """The waits between lease renewals, ended by the test instead of by real time."""

    def __init__(self) -> None:
        self.asked: list[float] = []
        self.go = asyncio.Event()
        self.changed = asyncio.Condition()

    async def __call__(self, seconds: float) -> None:
        async with self.changed:
            self.asked.append(seconds)
            self.changed.notify_all()
        await self.go.wait()
        self.go.clear()

    async def entered(self, count: int) -> None:
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(lambda: len(self.asked) >= count), 10)


async def test_push_05_a_send_that_outlives_the_lease_keeps_its_claim(world, db, clock, runtime):
    """Rule: PUSH-05 — while the batch is with FCM its lease is renewed every third of the lease,
    so another worker does not claim and send it again after the first lease's end."""
    await _one_push(world, db, "tok-slow")
    fcm = HeldSend()
    slow = _worker(runtime, fcm)
    pauses = slow.pause = Pauses()
    await slow.fan_out()
    sending = asyncio.create_task(slow.deliver_once())
    await asyncio.wait_for(fcm.entered.wait(), 10)

    await pauses.entered(1)
    clock.advance(seconds=50)
    pauses.go.set()                      # a third of the lease has passed (and more): renew
    await pauses.entered(2)              # renewed, waiting for the next third
    clock.advance(seconds=20)            # 70 s after the claim: past the first lease's end

    other = _worker(runtime)
    assert await other.claim_batch() == []
    fcm.answer.set()
    assert await asyncio.wait_for(sending, 10) == 1

    row = await _delivery(db)
    assert (row.status, row.attempts, row.resends) == ("sent", 1, 0)
    assert pauses.asked[:2] == [LEASE / 3, LEASE / 3]
    assert fcm.sent == ["tok-slow"] and other.transport.sent == []
