"""Order numbers are sequential per partner even when two transactions create orders at once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Partner
from core.orders.service import next_number


async def _until_a_transaction_waits_for_a_lock(runtime) -> None:
    """Polls PostgreSQL (a bound, not a timing: a loaded machine may take seconds to get there)."""
    async with AsyncSession(runtime.engine) as probe:
        for _ in range(3000):
            waiting = await probe.scalar(text("SELECT count(*) FROM pg_stat_activity "
                                              "WHERE datname = current_database() AND wait_event_type = 'Lock'"))
            if waiting:
                return
            await asyncio.sleep(0.01)
    raise AssertionError("the second transaction never waited for the counter row")


@pytest.mark.committed
async def test_concurrent_transactions_queue_on_the_counter(runtime):
    # Two real transactions on two connections: the partner must be committed for both to see it
    # (a committed test: the tables are emptied afterwards, no transaction of the test's own open).
    async with AsyncSession(runtime.engine) as setup:
        partner = Partner(name="УК Очередь", kind="management")
        setup.add(partner)
        await setup.flush()
        partner_id = partner.id
        await setup.commit()
    async with AsyncSession(runtime.engine) as first, AsyncSession(runtime.engine) as second:
        assert await next_number(first, partner_id) == 1
        waiting = asyncio.create_task(next_number(second, partner_id))
        await _until_a_transaction_waits_for_a_lock(runtime)
        assert not waiting.done()  # blocked on the counter row until the first commits
        await first.commit()
        assert await asyncio.wait_for(waiting, 30) == 2
        await second.commit()
