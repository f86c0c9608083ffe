"""Degraded, not down: Redis away costs speed, not answers (sessions checked in PostgreSQL, screens
built from it, limits counted in the process, a breaker sparing every request its connection
attempt; only login codes answer 503), and PostgreSQL away still leaves the screens Redis holds.
Each test runs a process's runtime as `open_runtime` wires it, against a private redis-server it
stops (SHUTDOWN SAVE: it comes back with what it held, as a Redis that was only out of reach does),
a dead port, or a dead database, on data committed through the test's own app."""

from __future__ import annotations

import contextlib

import httpx
import msgspec
import pytest
import redis as sync_redis
import redis.asyncio as aioredis

from core.process import open_runtime
from server.app import create_app
from tests.bff.screens.world import app_login, give_premise, make_partner, next_phone
from tests.servers import free_port, start_redis
from tests.support import bearer, expect, login_resident

DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_DATABASE = "postgresql://postgres@127.0.0.1:1/nothing"
PROFILE = "/app/v1/screens/profile"

pytestmark = pytest.mark.committed


@contextlib.asynccontextmanager
async def process(settings, clock, **changes):
    """An API process of its own (runtime, app, HTTP client) with `changes` to the settings."""
    rt = open_runtime(msgspec.structs.replace(settings, **changes), clock=clock, pool_size=2)
    app = create_app(rt.settings, runtime=rt)
    app.state.runtime = rt
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                     base_url="http://testserver") as client:
            yield rt, client
    finally:
        await rt.close()


class PrivateRedis:
    def __init__(self, workdir: str) -> None:
        self.port, self.workdir = free_port(), workdir
        self.server = start_redis(self.port, workdir)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Down, its data saved: started again, it holds what it held."""
        sync_redis.Redis(port=self.port).shutdown(save=True)
        self.server.wait(timeout=10)

    def start(self) -> None:
        self.server = start_redis(self.port, self.workdir)

    def get(self, key: str):
        return sync_redis.Redis(port=self.port, decode_responses=True).get(key)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(str(tmp_path))
    yield server
    if server.server.poll() is None:
        server.server.terminate()
        server.server.wait(timeout=10)


async def test_push_03_redis_down_sessions_checked_in_the_database_ended_ones_refused_after_it_returns(
        http, base_settings, clock, private_redis):
    """Rule: PUSH-03 — while Redis is away a session is checked in PostgreSQL; a logout and a
    staff deactivation made meanwhile hold at once, and still when Redis comes back holding the
    ALIVE state it had cached before."""
    phone = next_phone()
    partner = await make_partner(http, f"deg-{phone[-4:]}")
    await give_premise(http, partner, phone)
    tokens = [await login_resident(http, phone) for _ in range(3)]
    ended_by_logout, ended_by_staff, alive = ({"id": t["session_id"], "auth": bearer(t["access_token"])}
                                               for t in tokens)
    async with process(base_settings, clock, redis_url=private_redis.url) as (_, api):
        for session in (ended_by_logout, ended_by_staff, alive):
            expect(await api.get(PROFILE, headers=session["auth"]), 200)  # ALIVE cached in Redis
        private_redis.stop()

        for session in (ended_by_logout, ended_by_staff, alive):
            expect(await api.get(PROFILE, headers=session["auth"]), 200)
        expect(await api.post("/app/v1/auth/logout", headers=ended_by_logout["auth"]), 204)
        expect(await api.delete(f"/crm/v1/sessions/{ended_by_staff['id']}", headers=partner.staff), 204)
        for session in (ended_by_logout, ended_by_staff):
            assert (await api.get(PROFILE, headers=session["auth"])).status_code == 401

        private_redis.start()
        assert private_redis.get(f"sess:{{{ended_by_logout['id']}}}") == "1"  # what it held before
        clock.advance(seconds=10)  # past the breaker's cool-down: the next request probes Redis
        expect(await api.get(PROFILE, headers=alive["auth"]), 200)
        for session in (ended_by_logout, ended_by_staff):
            assert (await api.get(PROFILE, headers=session["auth"])).status_code == 401
            assert private_redis.get(f"sess:{{{session['id']}}}") == "0"


async def test_app_profile_01_redis_down_screens_read_the_database_and_none_is_stale_after_it_returns(
        http, base_settings, clock, private_redis):
    """Rule: APP-PROFILE-01 — while Redis is away a screen is built from the database (a change
    made meanwhile shows at once), and the answer Redis cached before is not served when it
    comes back: the outage renews the global generation."""
    phone = next_phone()
    partner = await make_partner(http, f"deg-{phone[-4:]}")
    await give_premise(http, partner, phone)
    auth = await app_login(http, phone)
    async with process(base_settings, clock, redis_url=private_redis.url) as (rt, api):
        before = expect(await api.get(PROFILE, headers=auth), 200)
        assert expect(await api.get(PROFILE, headers=auth), 200) == before  # cached now
        private_redis.stop()

        expect(await api.patch("/app/v1/me", headers=auth, json={"first_name": "Алевтина"}), 200)
        during = expect(await api.get(PROFILE, headers=auth), 200)
        assert during["account"]["name"] != before["account"]["name"] and "Алевтина" in during["account"]["name"]

        private_redis.start()  # with the answer cached before and the generations it was read under
        clock.advance(seconds=10)
        assert expect(await api.get(PROFILE, headers=auth), 200) == during
        assert rt.redis_breaker.closed


class CountingConnection(aioredis.Connection):
    attempts = 0

    async def _connect(self):
        type(self).attempts += 1
        return await super()._connect()


async def test_redis_down_breaker_spares_connections_limits_count_in_the_process_and_codes_answer_503(
        http, base_settings, clock):
    """Rule: PUSH-03 — a dead Redis is tried once, then skipped until the cool-down ends (one
    probe); meanwhile the app answers from PostgreSQL, the per-session request limit is counted in
    the process, a login code answers 503 with Retry-After, and readiness says "degraded"."""
    phone = next_phone()
    auth = bearer((await login_resident(http, phone))["access_token"])
    async with process(base_settings, clock, redis_url=DEAD_REDIS, screen_cache_seconds=0,
                       app_requests_per_minute=3) as (rt, api):
        await rt.redis.aclose()
        rt.redis = aioredis.from_url(DEAD_REDIS, decode_responses=True, socket_connect_timeout=1,
                                     connection_class=CountingConnection)
        CountingConnection.attempts = 0
        expect(await api.get(PROFILE, headers=auth), 200)
        tried = CountingConnection.attempts
        assert tried >= 1
        for _ in range(2):
            expect(await api.get(PROFILE, headers=auth), 200)
        limited = await api.get(PROFILE, headers=auth)  # the fourth in this minute, counted here
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        code = await api.post("/app/v1/auth/otp", json={"phone": phone})
        assert code.status_code == 503 and int(code.headers["retry-after"]) >= 1
        assert code.headers["content-type"].startswith("application/problem+json")
        health = await api.get("/health")
        assert health.status_code == 200
        assert health.json() == {"status": "degraded", "database": "ok", "redis": "unavailable"}
        assert CountingConnection.attempts == tried  # all of them skipped Redis

        clock.advance(seconds=10)
        assert (await api.get("/health")).json()["redis"] == "unavailable"  # the probe
        probed = CountingConnection.attempts
        assert tried < probed <= 2 * tried
        assert (await api.post("/app/v1/auth/otp", json={"phone": phone})).status_code == 503
        assert CountingConnection.attempts == probed
        assert (await api.get("/health/live")).status_code == 200


async def test_app_profile_01_postgres_down_cached_screens_answer_stale_and_writes_503(
        http, runtime, base_settings, clock):
    """Rule: APP-PROFILE-01 — a process whose PostgreSQL is away still answers a screen Redis
    holds (with X-Data-Stale), its activity stamp postponed; a write answers 503 problem+json with
    Retry-After and changes nothing; readiness is 503, liveness 200."""
    phone = next_phone()
    partner = await make_partner(http, f"deg-{phone[-4:]}")
    await give_premise(http, partner, phone)
    auth = await app_login(http, phone)
    async with process(base_settings, clock) as (_, up):
        cached = await up.get(PROFILE, headers=auth)
        assert "x-data-stale" not in cached.headers
    session_id = (await runtime.redis.keys("touch:*"))[0].split(":", 1)[1].strip("{}")
    await runtime.redis.delete(f"touch:{{{session_id}}}")  # the activity stamp is due
    async with process(base_settings, clock, database_url=DEAD_DATABASE) as (_, down):
        screen = await down.get(PROFILE, headers=auth)
        assert screen.status_code == 200 and screen.json() == cached.json()
        assert screen.headers["x-data-stale"] == "true"
        write = await down.patch("/app/v1/me", headers=auth, json={"first_name": "Алевтина"})
        assert write.status_code == 503 and int(write.headers["retry-after"]) >= 1
        assert write.headers["content-type"].startswith("application/problem+json")
        health = await down.get("/health")
        assert health.status_code == 503 and health.json()["database"] == "unavailable"
        assert (await down.get("/health/live")).status_code == 200
    assert "Алевтина" not in expect(await http.get(PROFILE, headers=auth), 200)["account"]["name"]
