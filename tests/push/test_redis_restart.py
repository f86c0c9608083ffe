"""PUSH-05: Redis restarted mid-run loses nothing. The outbox lives in PostgreSQL, so a worker
whose Redis goes away (and comes back) keeps delivering, and every push written before, during
and after the outage goes out exactly once. The Redis here is a private redis-server on a free
port, never the machine's shared one."""

from __future__ import annotations

import asyncio
import shutil
import signal
import tempfile

import msgspec
from sqlalchemy.ext.asyncio import create_async_engine

from tests.push.outage_support import (all_sent, enqueue, fake_accepted, own_database, seed_devices,  # noqa: F401
                                       shown_once_each, start_worker, wait_until)
from tests.servers import free_port, start_redis

N = 400


async def test_push_05_redis_restarted_mid_run_loses_nothing(own_database, base_settings, fake_fcm,  # noqa: F811
                                                               fcm_key):
    """Rule: PUSH-05"""
    port, workdir = free_port(), tempfile.mkdtemp(prefix="push-redis-")
    redis = start_redis(port, workdir)
    engine = create_async_engine(own_database)
    await seed_devices(engine, "redis-", N)
    await enqueue(engine, 0, N // 2)
    fake_fcm.received.clear()
    fake_fcm.storm_until = None
    fake_fcm.delay = 0.01
    settings = msgspec.structs.replace(base_settings, redis_url=f"redis://127.0.0.1:{port}/0")
    worker = start_worker(own_database, settings, fcm_key, fake_fcm)
    try:
        assert await wait_until(lambda: fake_accepted(fake_fcm, 50), 60)
        redis.send_signal(signal.SIGKILL)
        redis.wait()
        # Written while Redis is down: the outbox does not need it.
        await enqueue(engine, N // 2, N // 4)
        await asyncio.sleep(1.5)
        assert worker.poll() is None
        redis = start_redis(port, workdir)
        await enqueue(engine, N // 2 + N // 4, N - N // 2 - N // 4)
        fake_fcm.delay = 0.0
        assert await wait_until(all_sent(engine, N), 90)
        assert worker.poll() is None  # the worker lived through the outage
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=20)
        if redis.poll() is None:
            redis.send_signal(signal.SIGTERM)
            redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    assert await shown_once_each(engine, fake_fcm, N) == 0  # each once, none lost, nothing re-sent
    await engine.dispose()


async def test_idle_connections_after_a_redis_restart_do_not_fail_requests(tmp_path):
    """After Redis restarts, every pooled connection is dead; the runtime's client (core.infra.runtime.
    connect_redis) retries such a command once on a fresh connection, so no request fails for it."""
    from core.infra.runtime import connect_redis
    from core.infra.settings import Settings

    port = free_port()
    server = start_redis(port, str(tmp_path))
    client = connect_redis(Settings(redis_url=f"redis://127.0.0.1:{port}/0"))

    async def request(n: int) -> list:
        pipe = client.pipeline(transaction=False)
        pipe.get(f"sess:{n}")
        pipe.incr(f"rate:{n}")
        return await pipe.execute()

    try:
        await asyncio.gather(*(request(n) for n in range(20)))  # twenty pooled connections
        assert len(client.connection_pool._available_connections) >= 2
        server.send_signal(signal.SIGKILL)
        server.wait()
        server = start_redis(port, str(tmp_path))
        answers = await asyncio.gather(*(request(n) for n in range(20)), return_exceptions=True)
        assert [a for a in answers if isinstance(a, BaseException)] == []
        assert [a[1] for a in answers] == [1] * 20  # a fresh Redis: each counter counted once
    finally:
        await client.aclose()
        server.send_signal(signal.SIGKILL)
        server.wait()
