"""PostgreSQL restarted (stopped hard, as by a crash) under a running worker and server: the push
outbox loses nothing (every notification committed before and after goes out, each shown once on
the phone), the worker lives through it, and the API answers 503 while the database is away and
recovers by itself. The PostgreSQL here is a private one (pgserver), never the shared server."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pgserver
import pytest
from pgserver._commands import pg_ctl
from sqlalchemy.ext.asyncio import create_async_engine

from core.infra.db import async_url
from core.infra.migrate import upgrade_async
from core.process import open_runtime
from server.app import create_app
from tests.push.outage_support import (
    all_sent,
    enqueue,
    fake_accepted,
    seed_devices,
    shown_once_each,
    start_worker,
    wait_until,
)

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


async def test_push_05_postgres_restart_loses_nothing_and_the_api_recovers(private_pg, base_settings, fake_fcm,
                                                                           fcm_key):
    """Rule: PUSH-05"""
    import msgspec

    url = private_pg.get_uri()
    await upgrade_async(async_url(url))
    engine = create_async_engine(async_url(url), pool_pre_ping=True)
    await seed_devices(engine, "pg-", N)
    await enqueue(engine, 0, N // 2)
    fake_fcm.received.clear()
    fake_fcm.storm_until = None
    fake_fcm.delay = 0.01
    worker = start_worker(async_url(url), base_settings, fcm_key, fake_fcm)
    settings = msgspec.structs.replace(base_settings, database_url=url)
    runtime = open_runtime(settings, pool_size=2)
    app = create_app(settings, runtime=runtime)
    app.state.runtime = runtime
    api = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                            base_url="http://testserver")
    try:
        assert (await api.get("/health")).status_code == 200
        assert await wait_until(lambda: fake_accepted(fake_fcm, 50), 60)
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
        await enqueue(engine, N // 2, N - N // 2)
        fake_fcm.delay = 0.0

        assert await wait_until(all_sent(engine, N), 120)
        assert worker.poll() is None  # the worker lived through the outage
    finally:
        await api.aclose()
        await runtime.close()
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=20)
    await shown_once_each(engine, fake_fcm, N)
    await engine.dispose()
