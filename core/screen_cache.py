"""A cache of the app screens' answers (bff/cache.py), invalidated by every committed write to what
screens show.

Each answer is stored with the data generation it was read under: a random token in Redis that
any transaction writing to a table the screens read replaces once it has committed. A request
takes the generation (with the cached answer, in the round trip that checks its session) before
it queries, so a write committed meanwhile leaves what it stores already stale, never served. A
generation that could not be replaced (Redis away at that moment) is covered by the answers'
short lifetime.

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

import redis.asyncio as aioredis
from redis.client import NEVER_DECODE
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
    """Whole app screen answers in Redis, each stored with the data generation it was read under."""

    def __init__(self, redis: aioredis.Redis, ttl: int = ENTRY_TTL_SECONDS) -> None:
        self.redis = redis
        self.ttl = ttl

    @staticmethod
    def answer_key(session_id: uuid.UUID, path: str, query: str) -> str:
        """A screen's answer depends on the session (its account, app and context) and the URL."""
        digest = hashlib.blake2b(f"{path}?{query}".encode(), digest_size=12).hexdigest()
        return f"screen:{session_id}:{digest}"

    # Generations and answers are raw bytes (an answer is sent as it is stored), read without the
    # client's decoding.

    @staticmethod
    def valid(generation: bytes | None, entry: bytes | None) -> bytes | None:
        """The cached answer, if it was read under the current generation."""
        if generation is None or entry is None:
            return None
        stamp, _, body = entry.partition(b"\n")
        return body if stamp == generation else None

    async def generation(self) -> bytes | None:
        """The current generation, made when there is none (a new or flushed Redis)."""
        try:
            await self.redis.set(GENERATION_KEY, uuid.uuid4().hex, nx=True)
            return await self.redis.execute_command("GET", GENERATION_KEY, **{NEVER_DECODE: True})
        except RedisError:
            return None

    async def store(self, key: str, generation: bytes | None, body: bytes) -> None:
        """`generation` must have been read before the data of `body` was."""
        if generation is None:
            return
        try:
            await self.redis.set(key, generation + b"\n" + body, ex=self.ttl)
        except RedisError:
            pass

    async def invalidate(self) -> None:
        """After a committed write: every answer read before it is stale."""
        try:
            await self.redis.set(GENERATION_KEY, uuid.uuid4().hex)
        except RedisError as exc:
            log.warning("the screens' data generation could not be renewed (%s); cached screens expire "
                        "within %d s", type(exc).__name__, self.ttl)


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
