"""The screen cache (core/screen_cache.py, bff/cache.py) as served: answers stored in Redis under
the data generation, which every committed write to what screens show renews. Each test runs on
committed data with the runtime wired as `open_runtime` wires it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import commit, session_factory
from core.reads import ReadPool
from core.screen_cache import GENERATION_KEY, ScreenCache
from tests.bff.screens.test_my_premises import _bill
from tests.bff.screens.world import app_login, client_in, expect, give_premise, make_partner, next_phone


class CountingPool(ReadPool):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queries = 0

    async def fetchval(self, sql, *args):
        self.queries += 1
        return await super().fetchval(sql, *args)


@pytest.fixture
async def served(runtime, base_settings):
    plain = runtime.sessionmaker
    reads = CountingPool(base_settings.database_url, 2)
    runtime.sessionmaker = session_factory(runtime.engine, reads=reads, clock=runtime.clock,
                                           screens=ScreenCache(runtime.redis))
    try:
        yield reads
    finally:
        runtime.sessionmaker = plain
        await reads.close()


async def _resident(http):
    phone = next_phone()
    partner = await make_partner(http, f"cache-{phone[-4:]}")
    premise = await give_premise(http, partner, phone, "7")
    return partner, premise, await client_in(http, partner, phone), await app_login(http, phone)


async def _screen(http, auth, path="/app/v1/screens/my-premises") -> dict:
    return expect(await http.get(path, headers=auth), 200)


@pytest.mark.committed
async def test_repeated_screen_reads_are_served_from_the_cache(http, runtime, served):
    """Rule: APP-PREM-01, APP-PROFILE-01 — the same screen again: no query, the same view model."""
    _, _, _, auth = await _resident(http)
    for path in ("/app/v1/screens/my-premises", "/app/v1/screens/profile", "/app/v1/screens/my-orders?sort=newest"):
        first = await _screen(http, auth, path)
        queries = served.queries
        assert await _screen(http, auth, path) == await _screen(http, auth, path) == first
        assert served.queries == queries
        cached = runtime.sessionmaker
        runtime.sessionmaker = session_factory(runtime.engine, reads=served, clock=runtime.clock)  # cache off
        assert await _screen(http, auth, path) == first
        runtime.sessionmaker = cached


@pytest.mark.committed
async def test_every_kind_of_write_renews_the_screens(http, runtime, served):
    """Rule: APP-PREM-01, APP-PREM-05, APP-PROFILE-01 — CRM writes (ORM), a resident's writes,
    Core and text statements through a session: each shows on the next read, none is served stale."""
    partner, premise, client, auth = await _resident(http)
    before = (await _screen(http, auth))["items"][0]
    assert (before["bills_due"], before["unread_notifications"]) == ("0.00", 0)

    object_id = partner.objects["ЖК Солнечный"]
    expect(await http.patch(f"/crm/v1/objects/{object_id}", headers=partner.staff,           # CRM, ORM flush
                            json={"name": "ЖК Рассветный"}), 200)
    assert (await _screen(http, auth))["items"][0]["object_name"] == "ЖК Рассветный"

    await _bill(http, partner, premise, "120.00", number="LS-C1")                       # CRM feed upsert
    assert (await _screen(http, auth))["items"][0]["bills_due"] == "120.00"

    expect(await http.post("/crm/v1/notifications", headers=partner.staff, json={        # CRM feed
        "client_id": client, "premise_id": premise, "type": "news", "title": "Вода", "body": "Завтра"}), 201)
    assert (await _screen(http, auth))["items"][0]["unread_notifications"] == 1
    assert expect(await http.get("/app/v1/screens/profile", headers=auth), 200)["unread_notifications"] == 1

    expect(await http.post("/app/v1/notifications/read-all", headers=auth), 200)        # the resident
    assert (await _screen(http, auth))["items"][0]["unread_notifications"] == 0

    async with runtime.sessionmaker() as db:                                              # a text statement
        await db.execute(text("UPDATE estate_object SET name = 'ЖК Переименованный' WHERE id = "
                              "(SELECT object_id FROM premise WHERE id = :id)"), {"id": premise})
        await commit(db)
    assert (await _screen(http, auth))["items"][0]["object_name"] == "ЖК Переименованный"

    expect(await http.delete(f"/crm/v1/premises/{premise}/clients/{client}", headers=partner.staff), 204)
    assert (await _screen(http, auth))["items"] == []                                     # access lost


@pytest.mark.committed
async def test_writes_screens_do_not_show_and_rollbacks_keep_the_generation(http, runtime, served):
    """Rule: APP-PREM-01 — the activity stamps of each request, the push outbox's bookkeeping and a
    rolled-back write leave cached screens valid."""
    _, premise, _, auth = await _resident(http)
    await _screen(http, auth)
    await _screen(http, auth)  # cached
    generation = await runtime.redis.get(GENERATION_KEY)
    queries = served.queries
    async with runtime.sessionmaker() as db:
        await db.execute(text("UPDATE push_delivery SET attempts = attempts WHERE false"))
        await commit(db)
    async with runtime.sessionmaker() as db:
        await db.execute(text("UPDATE premise SET number = '99' WHERE id = :id"), {"id": premise})
        await db.rollback()
    await runtime.redis.delete(*await runtime.redis.keys("touch:*"))
    await _screen(http, auth)  # this one stamps the session's activity (and reads in that transaction)
    assert await runtime.redis.get(GENERATION_KEY) == generation
    await _screen(http, auth)
    assert served.queries == queries  # still the cached read
