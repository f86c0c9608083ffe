"""Hot screen reads: one statement, its JSON built by PostgreSQL, decoded by msgspec straight into
the screen's Struct."""

from __future__ import annotations

from typing import TypeVar

import msgspec
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


async def fetch_json(db: AsyncSession, sql: str, *args) -> str | None:
    """The single value of `sql`, JSON as text: statements end in `::text`, since the json codec
    SQLAlchemy installs on the connection would parse it with the slow stdlib decoder (asyncpg caches
    the prepared statement per connection)."""
    reads = db.info.get("reads")
    if reads is not None and not db.in_transaction():
        return await reads.fetchval(sql, *args)
    connection = await db.connection()
    raw = await connection.get_raw_connection()
    return await raw.driver_connection.fetchval(sql, *args)


async def fetch_view(db: AsyncSession, view: type[T], sql: str, *args) -> T | None:
    value = await fetch_json(db, sql, *args)
    return None if value is None else msgspec.json.decode(value, type=view)


def utc(column: str) -> str:
    """A timestamptz as ISO 8601 UTC text, whatever the server's time zone."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def money(expression: str) -> str:
    """A sum as a string with two decimals (API.md: money never as floats)."""
    return f"to_char(COALESCE({expression}, 0), 'FM999999999990.00')"
