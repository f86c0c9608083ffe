"""Hot reads outside any transaction: a plain asyncpg pool for the app's screen queries (bff/sql.py)."""

from __future__ import annotations

import asyncio

import asyncpg

from core.infra.database_url import connect_options


class DatabaseUnavailable(ConnectionError):
    """The database could not be reached for a read (answered 503, as the ORM path's errors are)."""


# Errors that say the server or the connection is gone, not that the statement is wrong.
_UNAVAILABLE = (OSError, asyncpg.exceptions.PostgresConnectionError, asyncpg.exceptions.ConnectionDoesNotExistError,
                asyncpg.exceptions.CannotConnectNowError, asyncpg.exceptions.AdminShutdownError,
                asyncpg.exceptions.CrashShutdownError, asyncpg.exceptions.TooManyConnectionsError)


def connect_args(url: str, **defaults: object) -> dict:
    """`asyncpg.connect` / `create_pool` arguments for DATABASE_URL (core/infra/database_url.py)."""
    return connect_options(url).asyncpg_args(**defaults)


async def _nothing_to_reset(connection: asyncpg.Connection) -> None:
    """Single read statements leave no session state (no settings, listeners, locks or cursors):
    the default reset, a round trip on every release, has nothing to do. An open transaction
    would still be rolled back by the pool before this is called."""


class ReadPool:
    """Opened on first use (inside the serving event loop), closed with the runtime."""

    def __init__(self, url: str, size: int, *, timeout: float = 5.0, command_timeout: float = 30.0) -> None:
        self._args = connect_args(url, timeout=timeout)  # the URL's connect_timeout wins
        self._size = size
        self._command_timeout = command_timeout
        self._pool: asyncpg.Pool | None = None
        self._lock = asyncio.Lock()

    async def _open(self) -> asyncpg.Pool:
        async with self._lock:  # the first requests arrive together: one pool, not one each
            if self._pool is None:
                self._pool = await asyncpg.create_pool(
                    **self._args, min_size=1, max_size=self._size,
                    command_timeout=self._command_timeout, max_inactive_connection_lifetime=300,
                    reset=_nothing_to_reset)
        return self._pool

    async def fetchval(self, sql: str, *args) -> object:
        try:
            pool = self._pool or await self._open()
            return await pool.fetchval(sql, *args, timeout=self._command_timeout)
        except _UNAVAILABLE as exc:
            raise DatabaseUnavailable(type(exc).__name__) from exc
        except TimeoutError as exc:
            raise DatabaseUnavailable("timeout") from exc

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
