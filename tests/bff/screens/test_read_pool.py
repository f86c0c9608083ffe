"""Served, the screens read through the runtime's asyncpg pool outside any transaction (bff/sql.py);
tests otherwise read through their rolled-back transaction. These run on committed data with a
real pool and check the answers are the same both ways, and that a request that wrote reads its
own writes."""

from __future__ import annotations

import pytest

from core.process import sessions
from core.infra.reads import ReadPool
from tests.bff.screens.test_statement_count import SCREENS, _world
from tests.support import expect


@pytest.fixture
async def pooled(runtime, base_settings):
    """The runtime as `open_runtime` makes it: sessions carry a read pool."""
    plain = runtime.sessionmaker
    reads = ReadPool(base_settings.database_url, 2)
    runtime.sessionmaker = sessions(runtime.engine, checked=True, reads=reads, clock=runtime.clock)
    try:
        yield reads
    finally:
        runtime.sessionmaker = plain
        await reads.close()


@pytest.mark.committed
async def test_screens_read_through_the_pool_answer_as_through_the_session(http, runtime, clock, pooled):
    """Rule: APP-PROFILE-01, APP-PREM-01, APP-ORD-01, PEOPLE-VIEW-01 — the same view models either way."""
    auth, premise = await _world(http, clock, premises=3, orders=5)
    urls = [path.format(premise=premise) for path in SCREENS]
    for url in urls:
        expect(await http.get(url, headers=auth), 200)  # the session check and touch are behind us
    through_pool = {url: expect(await http.get(url, headers=auth), 200) for url in urls}
    assert pooled._pool is not None and pooled._pool.get_size() >= 1

    runtime.sessionmaker = sessions(runtime.engine, checked=True, clock=runtime.clock)
    through_session = {url: expect(await http.get(url, headers=auth), 200) for url in urls}
    assert through_pool == through_session


@pytest.mark.committed
async def test_a_request_that_wrote_reads_its_own_writes(http, runtime, clock, pooled):
    """Rule: APP-PREM-02 — switching the premise answers with the new context at once."""
    auth, first = await _world(http, clock, premises=2, orders=0)
    premises = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    other = next(p["id"] for p in premises["items"] if p["id"] != first)
    switched = expect(await http.post("/app/v1/session/premise", headers=auth, json={"premise_id": other}), 200)
    assert switched["current_premise_id"] == other
    assert expect(await http.get("/app/v1/screens/profile", headers=auth), 200)["current_premise"]["id"] == other
