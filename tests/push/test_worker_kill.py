"""Real worker processes against a separate database and the fake FCM (PUSH-05): a worker
killed with SIGKILL mid-batch loses nothing and duplicates nothing on the phone; the push
pipeline does not depend on Redis."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from core.migrate import upgrade_async

N = 600


@pytest.fixture
async def own_database(base_settings):
    """A database of its own: workers in other processes need committed rows."""
    url = make_url(base_settings.database_url)
    name = f"{url.database}_kill_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    own = url.set(database=name).render_as_string(hide_password=False)
    await upgrade_async(own)
    yield own
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def _worker(database_url: str, base_settings, fcm_key, fake) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url.replace("+asyncpg", ""), "REDIS_URL": base_settings.redis_url,
           "FCM_CREDENTIALS": str(fcm_key), "FCM_BASE_URL": fake.base_url, "APP_ENV": "test",
           "PUSH_LEASE_SECONDS": "2", "PUSH_BATCH_SIZE": "100", "LOG_LEVEL": "WARNING",
           "TOKEN_SECRET": "x" * 40, "VAR_DIR": base_settings.var_dir}
    return subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "bff"), "worker"], env=env)


async def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_push_05_worker_killed_mid_batch_loses_nothing_and_resends_under_the_same_tag(
        own_database, base_settings, fake_fcm, fcm_key):
    """Rule: PUSH-05"""
    engine = create_async_engine(own_database)
    async with engine.begin() as conn:
        await conn.execute(text("""
            INSERT INTO account (id, phone) SELECT gen_random_uuid(), '+7900' || lpad(i::text, 7, '0')
            FROM generate_series(1, :n) i"""), {"n": N})
        await conn.execute(text("""
            INSERT INTO device_session (account_id, app_id, platform, fcm_token, os_notifications_enabled)
            SELECT id, 'domiland', 'android', 'kill-' || phone, TRUE FROM account"""))
        await conn.execute(text("""
            INSERT INTO push_message (account_id, type, title, body, available_at)
            SELECT id, 'news', 'Новость', 'Текст', now() - interval '1 minute' FROM account"""))
    fake_fcm.received.clear()
    fake_fcm.storm_until = None
    fake_fcm.delay = 0.01
    first = _worker(own_database, base_settings, fcm_key, fake_fcm)
    second = None
    try:
        assert await _wait(lambda: _async(fake_fcm.accepted_since_clear() >= 150), 60)
        first.send_signal(signal.SIGKILL)
        first.wait()
        fake_fcm.delay = 0.0
        second = _worker(own_database, base_settings, fcm_key, fake_fcm)

        async def all_sent() -> bool:
            async with engine.connect() as conn:
                left = await conn.scalar(text("SELECT count(*) FROM push_delivery WHERE status <> 'sent'"))
                total = await conn.scalar(text("SELECT count(*) FROM push_delivery"))
            return total == N and left == 0

        assert await _wait(all_sent, 90)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
    async with engine.connect() as conn:
        rows = (await conn.execute(text("""
            SELECT s.fcm_token, d.message_id::text, d.resends FROM push_delivery d
            JOIN device_session s ON s.id = d.session_id"""))).all()
    await engine.dispose()
    got = Counter(r.token for r in fake_fcm.delivered())
    tags = {}
    for r in fake_fcm.delivered():
        tags.setdefault(r.token, set()).add(r.tag)
    resent = 0
    for token, message_id, resends in rows:
        assert got[token] >= 1                          # every message delivered
        assert got[token] <= 1 + resends                # a second copy only where the fate was unknown
        assert tags[token] == {message_id}              # ... and under the same tag
        resent += resends
    assert resent > 0                                   # the killed worker's claimed batch came back


async def _async(value):
    return value
