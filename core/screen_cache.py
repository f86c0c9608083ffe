"""A cache of the app screens' answers (bff/cache.py), invalidated by every committed write to what
the screens show, and only for the accounts whose screens show it.

How it works (generations, answers, what counts as a write) is told in README.md, section
"The screen cache"."""

from __future__ import annotations

import hashlib
import logging
import random
import re
import uuid

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.dml import UpdateBase

from core.infra.breaker import Breaker, DependencyDown
from core.models import PersonalAccount
from core.infra.redis_scripts import RawScript, is_cluster, tag

log = logging.getLogger(__name__)

GENERATION_KEY = "screens:generation"
ENTRY_TTL_SECONDS = 60
# Generations of idle accounts and partners leave Redis a day after their last renewal; answers
# stamped with one that expired fail their check, and the next read makes a new one.
GENERATION_TTL_SECONDS = 86_400
UNAFFECTED = "screens_unaffected"
SCOPES = "screens_scopes"

# Rows that decide which partners an account's screens read (bff/cache.py), by the column they are
# found by: writing one renews the global generation.
_FOUND_BY = {"client": "phone", "brand": "slug"}

# Rows only the residents of their premise see, by the column naming the premise. A link is one
# too while it keeps its premise and client; made, removed or moved, it changes who reaches which
# premise, which is looked up after the partner's generation is read: it renews the partner.
_PREMISE_COLUMN = {"premise": "id", "premise_link": "premise_id", "personal_account": "premise_id",
                   "meter": "premise_id", "document": "premise_id", "insurance": "premise_id"}

# Tables whose rows only their own account's screens read: their writes renew that account alone.
ACCOUNT_TABLES = frozenset({"device_session", "guest", "notification", "registration_request"})

# Tables no screen reads: writing them leaves the screens as they were.
UNREAD_TABLES = frozenset({
    "activity", "api_key", "app_visit", "audit_record", "client_external_id", "client_phone_history", "idempotency_record",
    "import_job",
    "mailing", "mailing_recipient", "notification_settings_event", "order_counter", "push_delivery",
    "push_message", "refresh_token", "role", "sms_message", "staff",
})

# The tables a text statement writes: INSERT INTO t, UPDATE t [alias] SET, DELETE FROM t (not the
# FOR UPDATE of a SELECT, nor ON CONFLICT's DO UPDATE SET).
_WRITES = re.compile(r"\bINSERT\s+INTO\s+\"?(\w+)|\bUPDATE\s+\"?(\w+)\"?(?:\s+(?:AS\s+)?\w+)?\s+SET\b"
                     r"|\bDELETE\s+FROM\s+\"?(\w+)", re.I)


def partner_scope(partner_id) -> str:
    return f"screens:partner:{partner_id}"


def account_scope(account_id) -> str:
    return f"screens:account:{account_id}"


def client_scope(client_id) -> str:
    return f"screens:client:{client_id}"


def premise_scope(premise_id) -> str:
    return f"screens:premise:{premise_id}"


def scoped(*, account=None, partner=None) -> dict:
    """Execution options of a DML statement that writes only this account's or partner's data."""
    scopes = {account_scope(account)} if account is not None else set()
    if partner is not None:
        scopes.add(partner_scope(partner))
    return {SCOPES: frozenset(scopes)}


# The screen part of the request's session check (core/auth/service.py), run in Redis after it:
# KEYS[4] the answer, KEYS[5] and KEYS[6] the global and the account generation; ARGV[2] a fresh
# token. An entry is "<key> <generation> ...\n<answer>"; its generation keys are read from the
# entry itself, so this part runs on a single Redis only (a script may touch keys it was not
# given there); on a cluster `check_apart` does it in a second step. Answers out[4] = the answer
# or false; on a miss, out[5] and out[6] = the two generations, made when missing.
CHECK_LUA = """
local entry = redis.call('GET', KEYS[4])
local answer = false
if entry then
  local cut = string.find(entry, '\\n', 1, true)
  if cut then
    answer = string.sub(entry, cut + 1)
    for key, stamp in string.gmatch(string.sub(entry, 1, cut - 1), '(%S+) (%S+)') do
      if redis.call('GET', key) ~= stamp then answer = false break end
    end
  end
end
out[4] = answer
if not answer then
  for i = 5, 6 do
    redis.call('SET', KEYS[i], ARGV[2], 'NX', 'EX', TTL)
    out[i] = redis.call('GET', KEYS[i])
  end
end
""".replace("TTL", str(GENERATION_TTL_SECONDS))

_ensure = RawScript("""
local out = {}
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[1], 'NX', 'EX', TTL)
  out[i] = redis.call('GET', KEYS[i])
end
return out
""".replace("TTL", str(GENERATION_TTL_SECONDS)))


class ScreenCache:
    """Whole app screen answers in Redis, each stored with the generations it was read under.
    Generations and answers are raw bytes (an answer is sent as it is stored), read without the
    client's decoding."""

    def __init__(self, redis: aioredis.Redis, ttl: int = ENTRY_TTL_SECONDS, *, breaker: Breaker | None = None) -> None:
        self.redis = redis
        self.ttl = ttl
        # The runtime's Redis breaker: while it is open the cache is skipped, not waited for.
        self.breaker = breaker

    async def _run(self, call):
        if self.breaker is None:
            return await call()
        return await self.breaker.run(call)

    @staticmethod
    def answer_key(session_id: uuid.UUID, path: str, query: str) -> str:
        """A screen's answer depends on the session (its account, app and context) and the URL;
        it shares the session's slot (core/auth/service.py), read in the session's round trip."""
        digest = hashlib.blake2b(f"{path}?{query}".encode(), digest_size=12).hexdigest()
        return f"screen:{tag(session_id)}:{digest}"

    @staticmethod
    def check_keys(session_id: uuid.UUID, account_id: uuid.UUID, path: str, query: str) -> list[str]:
        """KEYS[4..6] of CHECK_LUA."""
        return [ScreenCache.answer_key(session_id, path, query), GENERATION_KEY, account_scope(account_id)]

    async def generations(self, keys: list[str]) -> list[bytes] | None:
        """The current generations of `keys`, made where missing; None when Redis is away."""
        if not keys:
            return []
        try:
            if is_cluster(self.redis):
                return await self._run(lambda: _ensure_apart(self.redis, keys, new_token()))
            return await self._run(lambda: _ensure(self.redis, keys, new_token()))
        except (RedisError, DependencyDown):
            return None

    async def store(self, key: str, stamps: dict[str, bytes], body: bytes) -> None:
        """`stamps` (generation key: generation) must have been read before the data of `body` was."""
        header = b" ".join(name.encode() + b" " + stamp for name, stamp in stamps.items())
        try:
            await self._run(lambda: self.redis.set(key, header + b"\n" + body, ex=self.ttl))
        except (RedisError, DependencyDown):
            pass

    async def invalidate(self, scopes: set[str]) -> None:
        """After a committed write: every answer read before it in these scopes is stale."""
        if not scopes:
            return
        async def renew() -> None:
            async with self.redis.pipeline(transaction=False) as pipe:
                for scope in scopes:
                    pipe.set(scope, new_token(), ex=GENERATION_TTL_SECONDS)
                await pipe.execute()

        try:
            await self._run(renew)
        except DependencyDown:
            pass  # Redis away: the global generation is renewed when it answers again
        except RedisError as exc:
            log.warning("the screens' data generations could not be renewed (%s); cached screens expire "
                        "within %d s", type(exc).__name__, self.ttl)


async def _ensure_apart(redis, keys: list[str], token: str) -> list[bytes | None]:
    """`_ensure` on a cluster, where the generations lie on many slots: one pipeline (a round trip
    to each node concerned, at once) of SET NX and GET for each key."""
    async with redis.pipeline(transaction=False) as pipe:
        _ensure_in(pipe, keys, token)
        answers = await pipe.execute()
    return [_raw(answer) for answer in answers[1::2]]


def _ensure_in(pipe, keys: list[str], token: str) -> None:
    """Queue, for each key, its generation made when missing (SET NX) and read (GET)."""
    for key in keys:
        pipe.set(key, token, nx=True, ex=GENERATION_TTL_SECONDS)
        pipe.get(key)


async def check_apart(redis, entry: bytes | None, keys: list[str]) -> tuple[bytes | None, ...]:
    """CHECK_LUA's answer on a cluster, from the answer's `entry` read with the session and the
    global and account generation `keys`: the generations the entry names are read now (with
    the two, made when missing), in one pipeline, and it is served only if none changed."""
    stamps: list[tuple[str, bytes]] = []
    answer = None
    if entry is not None:
        header, cut, body = entry.partition(b"\n")
        if cut:
            answer = body
            words = header.split()
            stamps = [(key.decode(), stamp) for key, stamp in zip(words[::2], words[1::2])]
    others = [key for key, _ in stamps if key not in keys]
    async with redis.pipeline(transaction=False) as pipe:
        _ensure_in(pipe, keys, new_token())
        for key in others:
            pipe.get(key)
        answers = await pipe.execute()
    made = [_raw(value) for value in answers[1:2 * len(keys):2]]
    current = dict(zip(keys, made)) | dict(zip(others, map(_raw, answers[2 * len(keys):])))
    if answer is not None and all(current[key] == stamp for key, stamp in stamps):
        return (answer,)
    return (None, *made)


def _raw(value: str | bytes | None) -> bytes | None:
    """A generation as the raw bytes CHECK_LUA answers (tokens are ASCII)."""
    return value.encode() if isinstance(value, str) else value


async def renew_all(redis: aioredis.Redis) -> None:
    """Every cached answer is stale from now on (after a Redis outage)."""
    await redis.set(GENERATION_KEY, new_token(), ex=GENERATION_TTL_SECONDS)


def new_token() -> str:
    """A generation: 128 random bits (a generation is compared, never guessed at: no need for the
    system's entropy, which costs a system call on every screen request)."""
    return f"{random.getrandbits(128):032x}"


def renew_screens(session: Session, scopes: set[str] | frozenset[str] | None = None) -> None:
    """Renew the generations of `scopes` (None: the global one) once this transaction has
    committed (core.infra.db.commit runs what waits for it)."""
    cache = session.info.get("screens")
    if cache is None:
        return
    pending = session.info.get("screen_scopes")
    if pending is None:
        pending = session.info["screen_scopes"] = set()

        async def renew() -> None:
            await cache.invalidate(session.info.pop("screen_scopes", set()))

        session.info.setdefault("after_commit", []).append(renew)
    pending.update(scopes if scopes is not None else (GENERATION_KEY,))


def written_tables(statement) -> set[str]:
    if isinstance(statement, UpdateBase):
        return {statement.table.name}
    text = getattr(statement, "text", None)
    if text is None:
        return set()
    return {next(name for name in match.groups() if name).lower() for match in _WRITES.finditer(text)}


def _values(state, name: str) -> set:
    """The values an attribute had and has in this flush."""
    history = state.attrs[name].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def object_scopes(session: Session, obj) -> set[str] | None:
    """The scopes a flushed object's write touches: an empty set for a table no screen reads, None
    for the global scope."""
    table = getattr(getattr(obj, "__table__", None), "name", None)
    if table in UNREAD_TABLES:
        return set()
    state = inspect(obj)
    columns = state.mapper.columns
    found_by = _FOUND_BY.get(table)
    if found_by and (obj in session.new or obj in session.deleted or state.attrs[found_by].history.has_changes()):
        return None  # whose screens read its partner changes
    if table == "partner":
        return {partner_scope(obj.id)}
    if table in ACCOUNT_TABLES:
        return {account_scope(v) for v in _values(state, "account_id")} or None
    if table == "client_order":
        # Requests and services are shown only to their client's account; events (and orders of
        # no client) to every resident of the partner (My Orders offers events when there are any).
        clients = _values(state, "client_id")
        scopes = {client_scope(v) for v in clients}
        if not clients or "events" in _values(state, "kind"):
            scopes |= {partner_scope(v) for v in _values(state, "partner_id")}
        return scopes or None
    if table in _PREMISE_COLUMN:
        premises = _premises(session, state, obj, table)
        if premises:
            return {premise_scope(v) for v in premises}
    if table == "bill":
        # A bill is its personal account's: the feed holds the account it checked (else: its partner).
        accounts = _values(state, "personal_account_id")
        account = session.identity_map.get(identity_key(PersonalAccount, *accounts)) if len(accounts) == 1 else None
        if account is not None:
            return {premise_scope(account.premise_id)}
    if "partner_id" in columns:
        return {partner_scope(v) for v in _values(state, "partner_id")} or None
    return None


def _premises(session: Session, state, obj, table: str) -> set:
    """The premises whose residents alone see this row's write; empty when that is not so."""
    if obj in session.deleted and table in ("premise", "premise_link"):
        return set()
    if table == "premise_link" and (obj in session.new or state.attrs.premise_id.history.has_changes()
                                    or state.attrs.client_id.history.has_changes()):
        return set()
    return _values(state, _PREMISE_COLUMN[table])


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, flush_context) -> None:  # noqa: ARG001
    for obj in (*session.new, *session.dirty, *session.deleted):
        scopes = object_scopes(session, obj)
        if scopes is None or scopes:
            renew_screens(session, scopes)


@event.listens_for(Session, "do_orm_execute")
def _do_orm_execute(state: ORMExecuteState) -> None:
    if state.is_select or state.execution_options.get(UNAFFECTED):
        return
    if written_tables(state.statement) - UNREAD_TABLES:
        renew_screens(state.session, state.execution_options.get(SCOPES))
