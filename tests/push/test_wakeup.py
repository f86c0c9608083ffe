"""An idle push worker is woken by PostgreSQL's notification of a committed push (migration
0006, push/wakeup.py) instead of at its next poll; the poll stays the fallback, and a lost
listening connection is made again."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, text

from core.models import Account, PushDelivery
from core.notifications import outbox
from push.config import PushConfig
from push.delivery import Deliverer
from push.service import run_push
from push.transport import SendResult
from push.wakeup import Wakeup
from tests.push.conftest import new_phone

# Far longer than any test may take: a push that leaves was woken, not polled.
NEVER = 3600.0


class Signalling:
    """Accepts every push and tells the test which token went out."""

    name = "fcm"

    def __init__(self):
        self.sent: list[str] = []
        self.pushed = asyncio.Event()

    async def send(self, batch):
        self.sent += [push.token for push in batch]
        self.pushed.set()
        return [SendResult("sent", fcm_message_id=f"m-{push.token}") for push in batch]

    async def close(self):
        pass


async def _device(world, db, token: str):
    phone = new_phone()
    await world.client(phone)
    await world.device(await world.resident(phone), fcm_token=token, os_notifications_enabled=True)
    return await db.scalar(select(Account.id).where(Account.phone == phone))


async def _asleep(wakeup: Wakeup) -> None:
    """Until the worker waits for its poll with no wake-up pending (the loop is only yielded
    to: no time is waited for)."""
    while not (wakeup.listening.is_set() and wakeup.idle.is_set() and not wakeup.event.is_set()):
        await asyncio.sleep(0)


async def _push(runtime, account_id, partner_id) -> None:
    async with runtime.sessionmaker() as session:
        await outbox.enqueue_push(session, account_id=account_id, type="bills", title="Счёт", body="Новый счёт",
                                  partner_id=partner_id)
        await session.commit()


@contextlib.asynccontextmanager
async def idle_worker(runtime, transport, wakeup: Wakeup) -> AsyncIterator[None]:
    """A worker whose poll would come only after an hour, running and asleep; stopped after the
    block, which has 30 s to finish."""
    worker = Deliverer(runtime, transport, PushConfig(idle_wait_seconds=NEVER), rng=random.Random(1))
    stop = asyncio.Event()
    task = asyncio.create_task(run_push(worker, stop, wakeup))
    try:
        async with asyncio.timeout(30):
            await _asleep(wakeup)
            yield
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


@pytest.mark.committed
async def test_push_05_a_committed_push_wakes_an_idle_worker_without_its_poll(world, db, runtime):
    """Rule: PUSH-05 — the outbox is delivered as soon as it is committed: an idle worker whose
    poll would come only after an hour sends it at once; a rolled-back push wakes nobody."""
    account_id = await _device(world, db, "tok-wake")
    transport = Signalling()
    async with idle_worker(runtime, transport, Wakeup(runtime.settings.database_url)):
        # A push written and rolled back is never sent (and wakes nobody).
        async with runtime.sessionmaker() as session:
            await outbox.enqueue_push(session, account_id=account_id, type="bills", title="Отменён",
                                      body="Откат", partner_id=world.partner_id)
            await session.rollback()
        await _push(runtime, account_id, world.partner_id)
        await transport.pushed.wait()
    rows = (await db.scalars(select(PushDelivery).execution_options(populate_existing=True))).all()
    assert transport.sent == ["tok-wake"]
    assert [(r.status, r.attempts) for r in rows] == [("sent", 1)]


@pytest.mark.committed
async def test_push_06_a_push_mailing_wakes_an_idle_worker(world, db, http, runtime):
    """Rule: PUSH-06 — a push mailing created through the API reaches the device without
    waiting for the worker's poll."""
    await _device(world, db, "tok-wake-mailing")
    transport = Signalling()
    async with idle_worker(runtime, transport, Wakeup(runtime.settings.database_url)):
        response = await http.post("/crm/v1/mailings", headers=world.staff,
                                   json={"channel": "push", "title": "Собрание", "body": "В четверг"})
        assert response.status_code == 201, response.text
        await transport.pushed.wait()
    assert transport.sent == ["tok-wake-mailing"]


@pytest.mark.committed
async def test_push_05_a_lost_listening_connection_is_made_again(world, db, runtime):
    """Rule: PUSH-05 — after its listening connection is killed (a PostgreSQL restart, a
    failover) the worker listens again, and the next push wakes it."""
    account_id = await _device(world, db, "tok-relisten")
    transport = Signalling()
    wakeup = Wakeup(runtime.settings.database_url, reconnect_seconds=0)
    async with idle_worker(runtime, transport, wakeup):
        first = wakeup.backend_pid
        async with runtime.engine.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        while wakeup.backend_pid == first:
            await asyncio.sleep(0)  # yields to the loop only: no time is waited for
        await _asleep(wakeup)
        await _push(runtime, account_id, world.partner_id)
        await transport.pushed.wait()
    assert transport.sent == ["tok-relisten"]


async def test_push_05_without_a_database_url_the_poll_alone_finds_work(runtime):
    """Rule: PUSH-05 — no listening connection (none configured): `wait` is the idle poll."""
    wakeup = Wakeup(None)
    stop = asyncio.Event()
    await wakeup.run(stop)  # returns at once
    assert not wakeup.listening.is_set()
    stop.set()
    await asyncio.wait_for(wakeup.wait(stop, NEVER), timeout=5)


async def test_push_05_after_an_idle_spell_batches_start_small_and_double(world, db, runtime):
    """Rule: PUSH-05 — the first batch after an idle wait is small (its pushes leave without
    waiting for a whole batch), the next ones double up to the full size; every push once."""
    accounts = [await _device(world, db, f"tok-ramp-{i}") for i in range(7)]
    for account_id in accounts:
        await outbox.enqueue_push(db, account_id=account_id, type="bills", title="Счёт", body="Новый счёт",
                                  partner_id=world.partner_id)
    await db.commit()
    transport = Signalling()
    worker = Deliverer(runtime, transport, PushConfig(batch_size=4, first_batch=1), rng=random.Random(1))
    worker.ramp_up()
    sizes = []
    while batch := await worker.prepare():
        sizes.append(len(batch))
        await worker.write_outcomes(batch, await worker.send_batch(batch))
    assert sizes == [1, 2, 4]
    assert sorted(transport.sent) == sorted(f"tok-ramp-{i}" for i in range(7))
