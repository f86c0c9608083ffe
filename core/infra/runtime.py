"""The clients a process holds: made at start-up, closed at shutdown, handed down to services."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlparse

import redis.asyncio as aioredis
from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.asyncio.sentinel import Sentinel
from redis.backoff import NoBackoff
from redis.exceptions import ClusterDownError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from core.infra import embedded
from core.infra.breaker import Breaker
from core.infra.clock import Clock, SystemClock
from core.infra.db import SessionHook, create_engine, session_factory
from core.infra.generations import Generations
from core.infra.pagination import CursorCodec
from core.infra.local_counts import LocalCounts
from core.infra.reads import ReadPool
from core.infra.security import TokenCodec
from core.infra.settings import Settings
from core.infra.sms import SmsProvider, make_sms_provider
from core.infra.storage import storage_from

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Runtime:
    settings: Settings
    clock: Clock
    engine: AsyncEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    # A RedisCluster on a Redis Cluster (same commands; one annotation: the app reads this one).
    redis: aioredis.Redis
    tokens: TokenCodec
    sms: SmsProvider
    extras: dict[str, object] = field(default_factory=dict)
    # Screen reads outside transactions; None: they go through the request's session (tests,
    # whose sessions join one rolled-back transaction).
    reads: ReadPool | None = None
    # Seals the lists' pagination cursors (core/infra/pagination.py), keyed from the token secrets.
    cursors: CursorCodec | None = None
    # One breaker per dependency and process (core/infra/breaker.py); made from the clock when not given.
    redis_breaker: Breaker | None = None
    db_breaker: Breaker | None = None
    # The abuse limits' counts while Redis is away (per process).
    local_counts: LocalCounts = field(default_factory=LocalCounts)
    # What the domain makes good when Redis answers again after an outage, in order, each given
    # the runtime and when Redis went away (core/process.py names them).
    redis_recovery: list[RedisRecovery] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.cursors is None:
            self.cursors = CursorCodec(self.settings.verification_secrets)
        if self.redis_breaker is None:
            self.redis_breaker = redis_breaker(self.clock)
        if self.redis_breaker.probe is None:
            self.redis_breaker.probe = lambda since: recover_redis(self, since)
        if self.db_breaker is None:
            self.db_breaker = Breaker("PostgreSQL", self.clock, errors=())

    async def close(self) -> None:
        await self.redis.aclose()
        if self.reads is not None:
            await self.reads.close()
        await self.engine.dispose()


REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, ClusterDownError, OSError)


def redis_breaker(clock: Clock) -> Breaker:
    return Breaker("Redis", clock, errors=REDIS_ERRORS)


RedisRecovery = Callable[["Runtime", datetime], Awaitable[None]]


async def recover_redis(rt: Runtime, down_since: datetime) -> None:
    """Redis answers again after an outage: before anything it holds is believed, what was
    written meanwhile without it is made good by the runtime's recovery steps."""
    await rt.redis.ping()
    for step in rt.redis_recovery:
        await step(rt, down_since)


def database_url_of(settings: Settings) -> str:
    """The configured database, or the embedded PostgreSQL under var/."""
    return settings.database_url or embedded.embedded_database_url(settings.var_dir)


def redis_url_of(settings: Settings) -> str:
    """The configured Redis, or the embedded one under var/."""
    return settings.redis_url or embedded.embedded_redis_url(settings.var_dir)


def connect_redis(settings: Settings) -> aioredis.Redis | RedisCluster:
    """A pooled client. A connection that sat idle through a Redis restart fails on its next use;
    such a command is retried once on a fresh connection instead of failing the request (without
    it, requests minutes after a restart still answered 503). Behind Sentinel, every new
    connection asks the sentinels for the current primary, and a connection to a primary that was
    demoted is dropped, so a failover costs the commands sent while no primary was elected. On a
    Redis Cluster, the client learns the slots' nodes from the ones named and sends each command
    to the node of its keys' slot."""
    options = dict(decode_responses=True, socket_timeout=5, socket_connect_timeout=5, health_check_interval=30,
                   retry=Retry(NoBackoff(), 1), retry_on_error=[RedisConnectionError, RedisTimeoutError])
    url = urlparse(settings.redis_url or "redis://")
    if settings.redis_cluster:
        nodes = [ClusterNode(host, port) for host, port in _addresses(settings.redis_cluster_nodes)]
        return RedisCluster(startup_nodes=nodes or [ClusterNode(url.hostname, url.port or 6379)],
                            password=url.password, username=url.username, ssl=url.scheme == "rediss", **options)
    if not settings.redis_sentinels:
        return aioredis.from_url(redis_url_of(settings), **options)
    db = int(url.path.strip("/") or 0)
    # The sentinels themselves are asked without a password (REDIS_URL's is the data nodes').
    sentinel = Sentinel(_addresses(settings.redis_sentinels), sentinel_kwargs={"socket_timeout": 1,
                                                                               "socket_connect_timeout": 1})
    return sentinel.master_for(settings.redis_sentinel_master, db=db, password=url.password,
                               username=url.username, **options)


def _addresses(addresses: tuple[str, ...]) -> list[tuple[str, int]]:
    """("host:port", ...) as (host, port) pairs."""
    return [(host, int(port)) for host, _, port in (a.rpartition(":") for a in addresses)]


def open_runtime(settings: Settings, *, clock: Clock | None = None, pool_size: int | None = None,
                 generations: Callable[[aioredis.Redis, Breaker], Generations | None] | None = None,
                 session_hooks: tuple[SessionHook, ...] = (),
                 redis_recovery: tuple[RedisRecovery, ...] = ()) -> Runtime:
    """A process's runtime on the configured (or embedded) servers. `generations` makes, from the
    runtime's Redis and its breaker, the generation store the sessions renew after their commits;
    `session_hooks` are the domain's listeners on the sessions (core/infra/db.session_factory)."""
    database_url = database_url_of(settings)
    clock = clock or SystemClock()
    engine = create_engine(database_url, pool_size=pool_size or settings.db_pool_size)
    redis = connect_redis(settings)
    reads = ReadPool(database_url, pool_size or settings.db_pool_size)
    breaker = redis_breaker(clock)
    return Runtime(
        settings=settings,
        clock=clock,
        engine=engine,
        sessionmaker=session_factory(engine, reads=reads, clock=clock, hooks=session_hooks,
                                     generations=generations(redis, breaker) if generations is not None else None),
        reads=reads,
        redis=redis,
        redis_breaker=breaker,
        tokens=TokenCodec(settings.verification_secrets, clock),
        sms=make_sms_provider(settings),
        extras={"storage": storage_from(settings)},
        redis_recovery=list(redis_recovery),
    )
