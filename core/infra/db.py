"""Engine and session factory. One session per request or job, `expire_on_commit=False`;
services flush, the request or job scope commits."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session

from core.infra.database_url import connect_options

AfterCommit = Callable[[], Awaitable[None]]


def async_url(url: str) -> str:
    """Accept the usual `postgresql://` / `postgres://` spellings and name asyncpg (for tools that
    build SQLAlchemy URLs; connections are made by create_engine, which reads every option)."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername in ("postgresql", "postgresql+psycopg", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def create_engine(url: str, *, pool_size: int = 20, **options) -> AsyncEngine:
    """The ORM's engine on DATABASE_URL. Its URL stays bare: the connection comes from the URL's
    one parser (core/infra/database_url.py) as asyncpg's `dsn`, options and all."""
    defaults = dict(
        # Connections are kept, not made per burst: a connection opened for an overflow and closed
        # right after costs more than the query it serves.
        pool_size=pool_size,
        max_overflow=pool_size // 2,
        # No ping before each checkout (a round trip per request): a connection that died is
        # invalidated by the error it raises (answered 503), and the pool renews it.
        pool_pre_ping=False,
        pool_recycle=1800,
        pool_timeout=5,
    )
    return create_async_engine("postgresql+asyncpg://", **{**defaults, **options},
                               connect_args=connect_options(url).sqlalchemy_args(timeout=5, command_timeout=30))


async def ping(engine: AsyncEngine) -> None:
    """One round trip on a fresh checkout: raises while PostgreSQL does not answer (readiness)."""
    async with engine.connect() as connection:
        await connection.execute(text("SELECT 1"))


SessionHook = Callable[[type[Session]], None]


def session_factory(bind, *, reads=None, clock=None, generations=None, hooks: tuple[SessionHook, ...] = (),
                    **options) -> async_sessionmaker[AsyncSession]:
    """Every session's `info` carries the runtime's clock (what services stamp rows with, e.g. the
    push outbox), its read pool (a core.infra.reads.ReadPool, for bff/sql.py) and its generation
    store (core.infra.generations.Generations, renewed after commits). `hooks` install the domain's
    listeners on this factory's own session class (core/process.py: what a transaction changed),
    never on SQLAlchemy's Session itself."""
    info = {key: value for key, value in (("reads", reads), ("clock", clock), ("generations", generations))
            if value is not None}
    return async_sessionmaker(bind, expire_on_commit=False, info=info or None,
                              sync_session_class=_session_class(hooks), **options)


@functools.cache
def _session_class(hooks: tuple[SessionHook, ...]) -> type[Session]:
    """One session class per set of hooks, made on first use."""
    session_class = type("UnitOfWork", (Session,), {})
    for hook in hooks:
        hook(session_class)
    return session_class


def generations_of(sessionmaker: async_sessionmaker) -> object | None:
    """The generation store a factory's sessions renew (None: they renew none)."""
    return (sessionmaker.kw.get("info") or {}).get("generations")


def after_commit(session: AsyncSession, callback: AfterCommit) -> None:
    """Run `callback` once the scope that owns `session` has committed (renewed generations,
    work that must not see uncommitted rows)."""
    session.info.setdefault("after_commit", []).append(callback)


async def run_after_commit(session: AsyncSession) -> None:
    callbacks: list[AfterCommit] = session.info.pop("after_commit", [])
    for callback in callbacks:
        await callback()


async def commit(session: AsyncSession) -> None:
    """Commit the scope and run what waited for it."""
    await session.commit()
    await run_after_commit(session)
