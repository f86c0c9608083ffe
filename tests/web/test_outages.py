"""PostgreSQL or Redis down: what cannot be answered without it (a login code, anything reading
the database) answers 503 problem+json quickly, with Retry-After and no traceback, and the health
check names what is missing."""

from __future__ import annotations

import time

import httpx
import pytest
import redis.asyncio as aioredis

from core.infra.db import create_engine
from core.infra.reads import ReadPool
from core.infra.runtime import Runtime
from core.infra.security import TokenCodec
from core.infra.sms import DebugSmsProvider
from core.process import REDIS_RECOVERY, sessions
from server.app import create_app

DEAD_REDIS = "redis://127.0.0.1:1/0"
DEAD_DATABASE = "postgresql+asyncpg://postgres@127.0.0.1:1/nothing"


async def _client(base_settings, clock, *, database: str, redis_url: str):
    engine = create_engine(database, pool_size=1)
    redis = aioredis.from_url(redis_url, decode_responses=True, socket_connect_timeout=1, socket_timeout=1)
    # As open_runtime makes it: the screens read through a pool of their own.
    reads = ReadPool(database, 1, timeout=1)
    rt = Runtime(settings=base_settings, clock=clock, engine=engine,
                 sessionmaker=sessions(engine, checked=True, reads=reads, clock=clock), reads=reads,
                 redis=redis, tokens=TokenCodec(base_settings.verification_secrets, clock), sms=DebugSmsProvider(),
                 redis_recovery=list(REDIS_RECOVERY))
    app = create_app(base_settings, runtime=rt)
    app.state.runtime = rt
    return rt, httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                 base_url="http://testserver")


@pytest.mark.parametrize("broken", ["redis", "database"])
async def test_a_dependency_down_is_a_quick_503(base_settings, database, clock, broken):
    rt, client = await _client(base_settings, clock, database=DEAD_DATABASE if broken == "database" else database,
                               redis_url=DEAD_REDIS if broken == "redis" else base_settings.redis_url)
    try:
        started = time.monotonic()
        response = await client.post("/app/v1/auth/otp", json={"phone": "+79161234567"})
        assert time.monotonic() - started < 10
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "service_unavailable" and response.headers["retry-after"]
        assert "Traceback" not in response.text and "127.0.0.1:1" not in response.text
        health = await client.get("/health")
        assert health.json()[broken] == "unavailable"
        if broken == "database":
            assert health.status_code == 503 and health.json()["status"] == "unavailable"
        else:  # the API serves without Redis
            assert health.status_code == 200 and health.json()["status"] == "degraded"
        assert (await client.get("/health/live")).status_code == 200
    finally:
        await client.aclose()
        await rt.close()


async def test_database_down_under_a_screen_read_is_a_quick_503(base_settings, clock):
    """The screens' own read pool (core/infra/reads.py) answers a dead database like the ORM path: 503
    problem+json, quickly, nothing of the server in the body."""
    import uuid

    rt, client = await _client(base_settings, clock, database=DEAD_DATABASE, redis_url=base_settings.redis_url)
    session_id, account_id = uuid.uuid4(), uuid.uuid4()
    token, _ = rt.tokens.issue({"typ": "access", "sub": str(account_id), "sid": str(session_id), "app": "domiland"},
                               900)
    # The session is known alive and recently touched: the request reaches the screen's read.
    await rt.redis.set(f"sess:{{{session_id}}}", "1", ex=60)
    await rt.redis.set(f"touch:{{{session_id}}}", "1", ex=60)
    try:
        started = time.monotonic()
        response = await client.get("/app/v1/screens/profile", headers={"Authorization": f"Bearer {token}"})
        assert time.monotonic() - started < 10
        assert response.status_code == 503, response.text
        assert response.json()["code"] == "service_unavailable" and response.headers["retry-after"]
        assert "127.0.0.1:1" not in response.text and "Traceback" not in response.text
    finally:
        await rt.redis.delete(f"sess:{{{session_id}}}", f"touch:{{{session_id}}}")
        await client.aclose()
        await rt.close()
