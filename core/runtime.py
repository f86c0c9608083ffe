"""The clients a process holds: made at start-up, closed at shutdown, handed down to services."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core import embedded
from core.clock import Clock, SystemClock
from core.db import create_engine, session_factory
from core.reads import ReadPool
from core.screen_cache import ScreenCache
from core.security import TokenCodec
from core.settings import Settings
from core.sms import SmsProvider, make_sms_provider

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    redis: aioredis.Redis
    tokens: TokenCodec
    sms: SmsProvider
    extras: dict[str, object] = field(default_factory=dict)
    # Screen reads outside transactions; None: they go through the request's session (tests,
    # whose sessions join one rolled-back transaction).
    reads: ReadPool | None = None

    async def close(self) -> None:
        await self.redis.aclose()
        if self.reads is not None:
            await self.reads.close()
        await self.engine.dispose()


def database_url_of(settings: Settings) -> str:
    """The configured database, or the embedded PostgreSQL under var/."""
    return settings.database_url or embedded.embedded_database_url(settings.var_dir)


def redis_url_of(settings: Settings) -> str:
    """The configured Redis, or the embedded one under var/."""
    return settings.redis_url or embedded.embedded_redis_url(settings.var_dir)


def connect_redis(url: str) -> aioredis.Redis:
    """A pooled client. A connection that sat idle through a Redis restart fails on its next use;
    such a command is retried once on a fresh connection instead of failing the request (without
    it, requests minutes after a restart still answered 503)."""
    return aioredis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5,
                             health_check_interval=30, retry=Retry(NoBackoff(), 1),
                             retry_on_error=[RedisConnectionError, RedisTimeoutError])


def open_runtime(settings: Settings, *, clock: Clock | None = None, pool_size: int | None = None) -> Runtime:
    database_url, redis_url = database_url_of(settings), redis_url_of(settings)
    clock = clock or SystemClock()
    engine = create_engine(database_url, pool_size=pool_size or settings.db_pool_size)
    redis = connect_redis(redis_url)
    reads = ReadPool(database_url, pool_size or settings.db_pool_size)
    return Runtime(
        settings=settings,
        clock=clock,
        engine=engine,
        sessionmaker=session_factory(engine, reads=reads, clock=clock, screens=(
            ScreenCache(redis, settings.screen_cache_seconds) if settings.screen_cache_seconds > 0 else None)),
        reads=reads,
        redis=redis,
        tokens=TokenCodec(settings.verification_secrets, clock),
        sms=make_sms_provider(settings.sms_provider, settings.sms_webhook_url, settings.sms_timeout_seconds),
    )
