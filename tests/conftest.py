"""Test scaffolding: real PostgreSQL and Redis (the machine's when DATABASE_URL / REDIS_URL are
set, the embedded ones otherwise). Each xdist worker has its own database, built by running the
migrations, and its own Redis db number; each test runs in a transaction rolled back at the end
and starts with an empty Redis db."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone

import httpx
import msgspec
import pytest
import redis.asyncio as aioredis
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from core.infra.clock import ManualClock
from core.infra.db import async_url, create_engine
from core.infra.migrate import upgrade_async
from core.models import Base
from core.infra.runtime import Runtime, database_url_of, redis_url_of
from core.infra.security import TokenCodec
from core.infra.settings import Settings
from core.infra.sms import DebugSmsProvider
from core.process import REDIS_RECOVERY, sessions
from server.app import create_app
from web.problems import UNDECLARED

ADMIN_TOKEN = "test-platform-admin-token-0123456789abcdef"
START = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)


def _worker() -> str:
    """A name unique to this worker of this run, so that runs side by side never collide."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex
    return f"{os.environ.get('PYTEST_XDIST_WORKER', 'gw0')}_{run[:10]}"


async def _claim_redis_db(url: str, owner: str) -> int:
    """Claim a free Redis db number (1-15) for this worker, recorded in db 0."""
    registry = aioredis.from_url(_with_redis_db(url, 0))
    try:
        for number in range(1, 16):
            if await registry.set(f"test-redis-db:{number}", owner, nx=True, ex=3600):
                return number
    finally:
        await registry.aclose()
    raise RuntimeError("no free Redis db for this test worker")


async def _release_redis_db(url: str, number: int) -> None:
    registry = aioredis.from_url(_with_redis_db(url, 0))
    try:
        await registry.delete(f"test-redis-db:{number}")
    finally:
        await registry.aclose()


@pytest.fixture(scope="session")
async def base_settings(tmp_path_factory) -> AsyncIterator[Settings]:
    var_dir = os.environ.get("TEST_VAR_DIR", os.path.join(os.getcwd(), "var"))
    plain = Settings(app_env="test", var_dir=var_dir, database_url=os.environ.get("DATABASE_URL") or None,
                     redis_url=os.environ.get("REDIS_URL") or None)
    name = _worker()
    server_url = make_url(async_url(database_url_of(plain)))
    database = f"test_{name}"
    server_redis = redis_url_of(plain)
    redis_db = await _claim_redis_db(server_redis, name)
    yield Settings(
        app_env="test",
        var_dir=str(tmp_path_factory.mktemp("var")),
        database_url=server_url.set(database=database).render_as_string(hide_password=False),
        redis_url=_with_redis_db(server_redis, redis_db),
        platform_admin_token=ADMIN_TOKEN,
        sms_provider="debug",
        token_secret="test-token-secret-" + "x" * 40,
        worker_in_process=False,
    )
    await _release_redis_db(server_redis, redis_db)


def _with_redis_db(url: str, db: int) -> str:
    if url.startswith("unix://"):
        base = url.split("?", 1)[0]
        return f"{base}?db={db}"
    parsed = url.rstrip("/")
    head, _, tail = parsed.rpartition("/")
    if tail.isdigit() and head.count("/") >= 2:
        parsed = head
    return f"{parsed}/{db}"


@pytest.fixture(scope="session")
async def database(base_settings: Settings) -> AsyncIterator[str]:
    """A fresh database for this worker, built by the migrations."""
    url = make_url(base_settings.database_url)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    await admin.dispose()
    await upgrade_async(base_settings.database_url)
    yield base_settings.database_url
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    await admin.dispose()


@pytest.fixture(scope="session")
def clock() -> ManualClock:
    return ManualClock(START)


def runtime_on(settings: Settings, database: str, clock: ManualClock, redis) -> Runtime:
    """The tests' runtime on `redis` (also the one on a Redis Cluster, tests/cluster)."""
    engine = create_engine(database, pool_size=5)
    return Runtime(settings=settings, clock=clock, engine=engine,
                   sessionmaker=sessions(engine, checked=True, clock=clock),
                   redis=redis, tokens=TokenCodec(settings.verification_secrets, clock), sms=DebugSmsProvider(),
                   redis_recovery=list(REDIS_RECOVERY))


def serving(runtime: Runtime):
    """The app on the tests' runtime."""
    application = create_app(runtime.settings, runtime=runtime)
    # The runtime is the test's own, so the app's lifespan (not run here) has nothing to open.
    application.state.runtime = runtime
    return application


def client_of(app) -> httpx.AsyncClient:
    """An HTTP client calling the app in the test's own event loop, so the app's sessions join
    the test's transaction."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@pytest.fixture(scope="session")
async def runtime(base_settings: Settings, database: str, clock: ManualClock) -> AsyncIterator[Runtime]:
    rt = runtime_on(base_settings, database, clock, aioredis.from_url(base_settings.redis_url, decode_responses=True))
    yield rt
    await rt.close()


def app_fixtures():
    """The `app` and `http` fixtures on the `runtime` fixture of the conftest that defines them
    (session-scoped fixtures are kept per definition: a directory with a runtime of its own
    needs its own)."""
    @pytest.fixture(scope="session")
    async def app(runtime: Runtime):
        return serving(runtime)

    @pytest.fixture(scope="session")
    async def http(app) -> AsyncIterator[httpx.AsyncClient]:
        async with client_of(app) as client:
            yield client

    return app, http


app, http = app_fixtures()


@pytest.fixture(autouse=True)
async def isolated(request, runtime: Runtime, clock: ManualClock) -> AsyncIterator[None]:
    """Every test: the clock back at START, an empty Redis db, and one outer transaction that
    every session of the app joins through savepoints and that is rolled back at the end."""
    if "no_db" in request.keywords:
        yield
        return
    clock.set(START)
    runtime.redis_breaker.reset()
    runtime.db_breaker.reset()
    await runtime.redis.flushdb()
    if "committed" in request.keywords:
        # Real commits on separate connections (concurrency, several processes); the tables are
        # emptied afterwards instead of rolled back.
        runtime.sessionmaker = sessions(runtime.engine, checked=True, clock=clock)
        try:
            yield
        finally:
            async with runtime.engine.begin() as connection:
                tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
                await connection.execute(text(f"TRUNCATE {tables} CASCADE"))
        return
    connection = await runtime.engine.connect()
    outer = await connection.begin()
    runtime.sessionmaker = sessions(connection, checked=True, clock=clock, join_transaction_mode="create_savepoint")
    try:
        yield
    finally:
        await outer.rollback()
        await connection.close()


@pytest.fixture(autouse=True)
def problem_codes_declared() -> Iterator[None]:
    """API.md "Errors": every problem answer any test gets from the app carries a code the
    operation lists for that status in the OpenAPI document; one that does not fails the test."""
    UNDECLARED.clear()
    yield
    undeclared = list(UNDECLARED)
    UNDECLARED.clear()
    if undeclared:
        pytest.fail("problem codes the operation does not declare:\n" + "\n".join(undeclared), pytrace=False)


@pytest.fixture
async def db(runtime: Runtime) -> AsyncIterator[AsyncSession]:
    """A session inside the test's transaction, for arranging data and checking outcomes."""
    async with runtime.sessionmaker() as session:
        yield session


@pytest.fixture
def limits(runtime: Runtime):
    """Other settings (lower limits, trusted proxies) for one test, restored afterwards."""
    original = runtime.settings

    def set_limits(**values):
        runtime.settings = msgspec.structs.replace(original, **values)

    yield set_limits
    runtime.settings = original
