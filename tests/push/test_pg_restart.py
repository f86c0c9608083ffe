"""PostgreSQL restarted (stopped hard, as by a crash) under a running worker and server: the push
outbox loses nothing (every notification committed before and after goes out, each shown once on
the phone), the worker lives through it, and the API answers 503 while the database is away and
recovers by itself. The PostgreSQL here is a private one (pgserver), never the shared server."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter

import httpx
import pgserver
import pytest
from pgserver._commands import pg_ctl
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from core.db import async_url
from core.migrate import upgrade_async
from core.runtime import open_runtime
from tests.push.test_redis_restart import _enqueue
from tests.push.test_worker_kill import _wait, _worker
from web.app import create_app

N = 300


@pytest.fixture
def private_pg(tmp_path):
    with pgserver.get_server(tmp_path / "pg", cleanup_mode="delete") as server:
        yield server


def _stop_hard(server) -> None:
    pg_ctl(["-w", "stop", "-m", "immediate"], pgdata=server.pgdata, user=server.system_user)


def _start(server) -> None:
    with server._lock:
        server.ensure_postgres_running()


async def _now(value):
    return value


async def test_push_05_postgres_restart_loses_nothing_and_the_api_recovers(private_pg, base_settings, fake_fcm,
                                                                           fcm_key):
    """Rule: PUSH-05"""
    import msgspec

    url = private_pg.get_uri()
    await upgrade_async(async_url(url))
    engine = create_async_engine(async_url(url), pool_pre_ping=True)
    async with engine.begin() as conn:
        await conn.execute(text("""
            INSERT INTO account (id, phone) SELECT gen_random_uuid(), '+7903' || lpad(i::text, 7, '0')
            FROM generate_series(1, :n) i"""), {"n": N})
        await conn.execute(text("""
            INSERT INTO device_session (account_id, app_id, platform, fcm_token, os_notifications_enabled)
            SELECT id, 'domiland', 'android', 'pg-' || phone, TRUE FROM account"""))
    await _enqueue(engine, 0, N // 2)
    fake_fcm.received.clear()
    fake_fcm.storm_until = None
    fake_fcm.delay = 0.01
    worker = _worker(async_url(url), base_settings, fcm_key, fake_fcm)
    settings = msgspec.structs.replace(base_settings, database_url=url)
    runtime = open_runtime(settings, pool_size=2)
    app = create_app(settings, runtime=runtime)
    app.state.runtime = runtime
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                            base_url="http://testserver")
    try:
        assert (await api.get("/health")).status_code == 200
        assert await _wait(lambda: _now(fake_fcm.accepted_since_clear() >= 50), 60)
        _stop_hard(private_pg)
        down = await api.get("/health")
        assert down.status_code == 503 and down.json()["database"] == "unavailable"
        await asyncio.sleep(1.5)  # the worker's loops meet the outage
        assert worker.poll() is None
        _start(private_pg)
        answers = []
        for _ in range(10):  # a pooled connection that died with the server may fail one request
            answers.append((await api.get("/health")).status_code)
            if answers[-1] == 200:
                break
        assert answers[-1] == 200 and len(answers) <= 3, answers
        await _enqueue(engine, N // 2, N - N // 2)
        fake_fcm.delay = 0.0

        async def all_sent() -> bool:
            async with engine.connect() as conn:
                left = await conn.scalar(text("SELECT count(*) FROM push_delivery WHERE status <> 'sent'"))
                total = await conn.scalar(text("SELECT count(*) FROM push_delivery"))
            return total == N and left == 0

        assert await _wait(all_sent, 120)
        assert worker.poll() is None  # the worker lived through the outage
    finally:
        await api.aclose()
        await runtime.close()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=20)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("""
            SELECT s.fcm_token, d.message_id::text, d.resends FROM push_delivery d
            JOIN device_session s ON s.id = d.session_id"""))).all()
    await engine.dispose()
    got = Counter(r.token for r in fake_fcm.delivered())
    tags: dict[str, set[str]] = {}
    for r in fake_fcm.delivered():
        tags.setdefault(r.token, set()).add(r.tag)
    assert len(rows) == N
    for token, message_id, resends in rows:
        assert got[token] >= 1                  # none lost
        assert got[token] <= 1 + resends        # a second copy only where the fate was unknown
        assert tags[token] == {message_id}      # ... under the same tag: shown once
