"""What the push outage tests share: real `bff worker` processes on a database of their own,
devices to push to, and the check that every notification reached its phone and was shown once."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections import Counter

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from core.infra.migrate import upgrade_async


@pytest.fixture
async def own_database(base_settings):
    """A database of its own: workers in other processes need committed rows."""
    url = make_url(base_settings.database_url)
    name = f"{url.database}_own_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    own = url.set(database=name).render_as_string(hide_password=False)
    await upgrade_async(own)
    yield own
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


def start_worker(database_url: str, settings, fcm_key, fake) -> subprocess.Popen:
    """`bff worker` against the fake FCM, with a short lease and small batches."""
    env = {**os.environ, "DATABASE_URL": database_url.replace("+asyncpg", ""), "REDIS_URL": settings.redis_url,
           "FCM_CREDENTIALS": str(fcm_key), "FCM_BASE_URL": fake.base_url, "APP_ENV": "test",
           "PUSH_LEASE_SECONDS": "2", "PUSH_BATCH_SIZE": "100", "LOG_LEVEL": "WARNING",
           "TOKEN_SECRET": "x" * 40, "VAR_DIR": settings.var_dir}
    return subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "bff"), "worker"], env=env)


async def wait_until(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def fake_accepted(fake, count: int) -> bool:
    return fake.accepted_since_clear() >= count


async def seed_devices(engine: AsyncEngine, prefix: str, count: int) -> None:
    """`count` accounts, each with one device whose FCM token is `prefix` + its phone."""
    async with engine.begin() as conn:
        await conn.execute(text("""
            INSERT INTO account (id, phone) SELECT gen_random_uuid(), '+79' || lpad(i::text, 9, '0')
            FROM generate_series(1, :n) i"""), {"n": count})
        await conn.execute(text("""
            INSERT INTO device_session (account_id, app_id, platform, fcm_token, os_notifications_enabled)
            SELECT id, 'domiland', 'android', :prefix || phone, TRUE FROM account"""), {"prefix": prefix})


async def enqueue(engine: AsyncEngine, first: int, count: int) -> None:
    """Notifications, due now, to the accounts first+1 .. first+count in phone order."""
    async with engine.begin() as conn:
        await conn.execute(text("""
            INSERT INTO push_message (account_id, type, title, body, available_at)
            SELECT a.id, 'news', 'Новость', 'Текст', now() - interval '1 minute'
            FROM (SELECT id, row_number() OVER (ORDER BY phone) AS i FROM account) a
            WHERE a.i > :first AND a.i <= :last"""), {"first": first, "last": first + count})


def all_sent(engine: AsyncEngine, count: int):
    async def check() -> bool:
        async with engine.connect() as conn:
            left = await conn.scalar(text("SELECT count(*) FROM push_delivery WHERE status <> 'sent'"))
            total = await conn.scalar(text("SELECT count(*) FROM push_delivery"))
        return total == count and left == 0
    return check


async def shown_once_each(engine: AsyncEngine, fake, count: int) -> int:
    """Every delivery reached its phone; a second copy only where its fate was unknown, and under
    the notification's own tag (the phone shows it once). Returns how many were re-sent."""
    async with engine.connect() as conn:
        rows = (await conn.execute(text("""
            SELECT s.fcm_token, d.message_id::text, d.resends FROM push_delivery d
            JOIN device_session s ON s.id = d.session_id"""))).all()
    got = Counter(r.token for r in fake.delivered())
    tags: dict[str, set[str]] = {}
    for r in fake.delivered():
        tags.setdefault(r.token, set()).add(r.tag)
    assert len(rows) == count
    for token, message_id, resends in rows:
        assert got[token] >= 1                  # none lost
        assert got[token] <= 1 + resends        # a second copy only where the fate was unknown
        assert tags[token] == {message_id}      # ... under the same tag
    return sum(r.resends for r in rows)
