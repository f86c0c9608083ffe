"""A cache of the app screens' reads (bff/sql.py), invalidated by every committed write to what
screens show.

Each cached read is stored with the data generation it was read under: a random token in Redis
that any transaction writing to a table the screens read replaces once it has committed. A read
takes the generation before it queries, so a write committed meanwhile leaves the entry already
stale and it is never served. A generation that could not be replaced (Redis away at that
moment) is covered by the entries' short lifetime.

Writes are seen where they all pass, the ORM session: a flush of mapped objects, and DML
statements run through a session (Core or text) by the table they write. Tables no screen reads
(the push outbox, audit, mailings' bookkeeping, …) are listed below; every other table counts, so
a new table is covered until someone decides otherwise. A statement may declare itself harmless
with the execution option `screens_unaffected` (the per-request "last seen" stamps)."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.dml import UpdateBase

log = logging.getLogger(__name__)

GENERATION_KEY = "screens:generation"
ENTRY_TTL_SECONDS = 60
UNAFFECTED = "screens_unaffected"

# Tables no screen reads: writing them leaves the screens as they were.
UNREAD_TABLES = frozenset({
    "activity", "api_key", "app_visit", "audit_record", "client_external_id", "client_phone_history", "import_job",
    "mailing", "mailing_recipient", "notification_settings_event", "order_counter", "push_delivery",
    "push_message", "refresh_token", "role", "sms_message", "staff",
})

# The tables a text statement writes: INSERT INTO t, UPDATE t [alias] SET, DELETE FROM t (not the
# FOR UPDATE of a SELECT, nor ON CONFLICT's DO UPDATE SET).
_WRITES = re.compile(r"\bINSERT\s+INTO\s+\"?(\w+)|\bUPDATE\s+\"?(\w+)\"?(?:\s+(?:AS\s+)?\w+)?\s+SET\b"
                     r"|\bDELETE\s+FROM\s+\"?(\w+)", re.I)


class ScreenCache:
    def __init__(self, redis: aioredis.Redis, ttl: int = ENTRY_TTL_SECONDS) -> None:
        self.redis = redis
        self.ttl = ttl

    async def read(self, sql: str, args: tuple, load: Callable[[], Awaitable[str | None]]) -> str | None:
        key = "screen:" + hashlib.blake2b(f"{sql}\x00{args!r}".encode(), digest_size=16).hexdigest()
        try:
            generation, entry = await self.redis.mget(GENERATION_KEY, key)
        except RedisError:
            return await load()
        if generation is None:
            generation = await self._new_generation(only_if_missing=True)
        elif entry is not None:
            stamp, _, value = entry.partition("\n")
            if stamp == generation:
                return value[1:] if value.startswith("=") else None
        value = await load()
        if generation is not None:
            try:
                await self.redis.set(key, f"{generation}\n" + ("=" + value if value is not None else "-"), ex=self.ttl)
            except RedisError:
                pass
        return value

    async def invalidate(self) -> None:
        """After a committed write: every entry read before it is stale."""
        await self._new_generation(only_if_missing=False)

    async def _new_generation(self, *, only_if_missing: bool) -> str | None:
        token = uuid.uuid4().hex
        try:
            if only_if_missing:
                await self.redis.set(GENERATION_KEY, token, nx=True)
                return await self.redis.get(GENERATION_KEY)
            await self.redis.set(GENERATION_KEY, token)
            return token
        except RedisError as exc:
            log.warning("the screens' data generation could not be renewed (%s); cached screens expire "
                        "within %d s", type(exc).__name__, self.ttl)
            return None


def _mark(session: Session) -> None:
    """Renew the generation once this transaction has committed (core.db.commit runs it)."""
    cache = session.info.get("screens")
    if cache is None:
        return
    callbacks = session.info.setdefault("after_commit", [])
    if cache.invalidate not in callbacks:
        callbacks.append(cache.invalidate)


def written_tables(statement) -> set[str]:
    if isinstance(statement, UpdateBase):
        return {statement.table.name}
    text = getattr(statement, "text", None)
    if text is None:
        return set()
    return {next(name for name in match.groups() if name).lower() for match in _WRITES.finditer(text)}


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:  # noqa: ARG001
    for obj in (*session.new, *session.dirty, *session.deleted):
        table = getattr(getattr(obj, "__table__", None), "name", None)
        if table not in UNREAD_TABLES:
            _mark(session)
            return


@event.listens_for(Session, "do_orm_execute")
def _do_orm_execute(state: ORMExecuteState) -> None:
    if state.is_select or state.execution_options.get(UNAFFECTED):
        return
    if written_tables(state.statement) - UNREAD_TABLES:
        _mark(state.session)
