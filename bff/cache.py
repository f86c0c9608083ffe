"""Cached screen answers: a screen's last answer per session and URL, sent again without the
database while the data it was read from is unchanged (README.md, "The screen cache")."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Awaitable, Callable

import msgspec
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.serialization import encode_json
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from bff.brands.context import ACCOUNT_CARDS
from bff.sql import fetch_view
from core.auth.service import CheckPart, ResidentPrincipal, session_check_with
from core.changes import EVERYONE, account, client, partner, premise
from core.infra import metrics
from core.infra.breaker import DependencyDown
from core.infra.db import generations_of
from core.infra.generations import GENERATION_TTL_SECONDS, Generations, ensure_in, new_token, raw
from core.infra.redis_scripts import is_cluster, tag
from core.infra.runtime import Runtime
from web.deps import checked_resident, request_session

GENERATION_KEY = EVERYONE.key

# The screen part of the request's session check, run in Redis after it: KEYS[4] the answer,
# KEYS[5] and KEYS[6] the global and the account generation; ARGV[2] a fresh token. An entry is
# "<key> <generation> ...\n<answer>"; its generation keys are read from the entry itself, so this
# part runs on a single Redis only (a script may touch keys it was not given there); on a cluster
# `check_apart` does it in a second step. Answers out[4] = the answer or false; on a miss, out[5]
# and out[6] = the two generations, made when missing.
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

CHECK = session_check_with(CHECK_LUA)
# On a cluster the session's round trip reads the answer alone (it shares the session's slot).
READ_ANSWER = session_check_with("out[4] = redis.call('GET', KEYS[4])")


def answer_key(session_id: uuid.UUID, path: str, query: str) -> str:
    """A screen's answer depends on the session (its account, app and context) and the URL;
    it shares the session's slot (core/auth/service.py), read in the session's round trip."""
    digest = hashlib.blake2b(f"{path}?{query}".encode(), digest_size=12).hexdigest()
    return f"screen:{tag(session_id)}:{digest}"


def check_keys(session_id: uuid.UUID, account_id: uuid.UUID, path: str, query: str) -> list[str]:
    """KEYS[4..6] of CHECK_LUA."""
    return [answer_key(session_id, path, query), GENERATION_KEY, account(account_id).key]


def screen_check(request: Request, runtime: Runtime) -> Callable[[uuid.UUID, uuid.UUID], CheckPart] | None:
    """The session check's part for this screen request; None while the screens are not cached."""
    if generations_of(runtime.sessionmaker) is None:
        return None
    path, query = request.url.path, request.url.query or ""
    if is_cluster(runtime.redis):
        def apart(session_id: uuid.UUID, account_id: uuid.UUID) -> CheckPart:
            keys = [GENERATION_KEY, account(account_id).key]
            return CheckPart(READ_ANSWER, [answer_key(session_id, path, query)],
                             then=lambda fetched: check_apart(runtime.redis, (fetched or [None])[0], keys))
        return apart

    def part(session_id: uuid.UUID, account_id: uuid.UUID) -> CheckPart:
        return CheckPart(CHECK, check_keys(session_id, account_id, path, query), (new_token(),))
    return part


# The resident of a cacheable screen: its cached answer is checked with the session.
SCREEN_RESIDENT = checked_resident(screen_check)


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
        ensure_in(pipe, keys, new_token())
        for key in others:
            pipe.get(key)
        answers = await pipe.execute()
    made = [raw(value) for value in answers[1:2 * len(keys):2]]
    current = dict(zip(keys, made)) | dict(zip(others, map(raw, answers[2 * len(keys):])))
    if answer is not None and all(current[key] == stamp for key, stamp in stamps):
        return (answer,)
    return (None, *made)


async def store(generations: Generations, key: str, stamps: dict[str, bytes], body: bytes, ttl: int) -> None:
    """`stamps` (generation key: generation) must have been read before the data of `body` was."""
    header = b" ".join(name.encode() + b" " + stamp for name, stamp in stamps.items())
    try:
        await generations.run(lambda: generations.redis.set(key, header + b"\n" + body, ex=ttl))
    except (RedisError, DependencyDown):
        pass


# The account's client cards and the partners whose data its screens read (bff/brands/context.py:
# `cards`, `app`, `pick`).
READS_SQL = """
WITH cards AS (""" + ACCOUNT_CARDS + """)
SELECT json_build_object(
  'cards', COALESCE((SELECT json_agg(id) FROM cards), '[]'::json),
  'partners', COALESCE((SELECT json_agg(DISTINCT x.partner_id) FROM (
      SELECT partner_id FROM cards
      UNION ALL SELECT b.partner_id FROM brand b WHERE b.slug = $3::text
      UNION ALL SELECT b.partner_id FROM device_session s JOIN brand b ON b.id = s.current_brand_id
        WHERE s.id = $2::uuid) x), '[]'::json))::text"""


# The premises the account reaches: read after its partners' generations.
PREMISES_SQL = """
SELECT COALESCE(json_agg(DISTINCT pl.premise_id), '[]'::json)::text
FROM (""" + ACCOUNT_CARDS + """) c JOIN premise_link pl ON pl.client_id = c.id"""


STALE_HEADER = "X-Data-Stale"


class _Reads(msgspec.Struct):
    cards: list[str]
    partners: list[str]


_HIT, _STORED, _BUILT = (metrics.SCREEN_CACHE.labels(outcome) for outcome in ("hit", "stored", "built"))


async def screen_answer(request: Request, resident: ResidentPrincipal,
                        build: Callable[[AsyncSession], Awaitable[object]]) -> Response:
    """The answer of a screen `build` makes with the request's database session, with its ETag: a
    request whose `If-None-Match` names it gets a 304 without the body."""
    check: tuple[bytes | None, ...] | None = request.scope.get("state", {}).get("session_check")
    if check and check[0] is not None:
        # No database session made: it answers while PostgreSQL is away too, saying so.
        stale = not request.app.state.runtime.db_breaker.closed
        _HIT.inc()
        return _send(request, *_tagged(check[0]), stale=stale)
    runtime: Runtime = request.app.state.runtime
    db = request_session(runtime)
    generations: Generations | None = db.info.get("generations")
    if generations is None or not check:
        body = encode_json(await build(db))
        _BUILT.inc()
        return _send(request, etag(body), body)
    stamps = await _stamps(db, generations, resident, check[1:])
    body = encode_json(await build(db))
    tag = etag(body)
    if stamps is not None:
        await store(generations, answer_key(resident.session_id, request.url.path, request.url.query or ""),
                    stamps, tag + b"\n" + body, runtime.settings.screen_cache_seconds)
    (_STORED if stamps is not None else _BUILT).inc()
    return _send(request, tag, body)


def etag(body: bytes) -> bytes:
    """A strong validator of a screen answer: computed once when the answer is built and stored
    in front of it, so a cached hit costs no hashing."""
    return b'"' + hashlib.blake2b(body, digest_size=12).hexdigest().encode() + b'"'


def _tagged(stored: bytes) -> tuple[bytes, bytes]:
    """The ETag and body of a stored answer (one stored before answers carried their tag is
    tagged now)."""
    if stored[:1] == b'"':
        tag, _, body = stored.partition(b"\n")
        return tag, body
    return etag(stored), stored


def _send(request: Request, tag: bytes, body: bytes, *, stale: bool = False) -> Response:
    # `private, no-cache`: the phone keeps the answer and asks again with If-None-Match; no shared
    # cache between it and us may keep one resident's screen.
    headers = {"ETag": tag.decode(), "Cache-Control": "private, no-cache"}
    if stale:
        # The cached answer is all there is while PostgreSQL is away: it may miss recent changes.
        headers[STALE_HEADER] = "true"
    if _matches(request.headers.get("if-none-match"), tag):
        return Response(b"", status_code=304, headers=headers)
    return Response(body, media_type=MediaType.JSON, headers=headers)


def _matches(header: str | None, tag: bytes) -> bool:
    """RFC 9110 If-None-Match: `*` or any listed tag, compared weakly (a `W/` prefix ignored)."""
    if not header:
        return False
    wanted = tag.decode()
    for candidate in header[:1024].split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


async def _stamps(db: AsyncSession, generations: Generations, resident: ResidentPrincipal,
                  read: tuple[bytes | None, ...]) -> dict[str, bytes] | None:
    """The generations an answer built now is stamped with; None: it is not to be stored."""
    if len(read) != 2 or None in read:
        return None
    stamps = {GENERATION_KEY: read[0], account(resident.account_id).key: read[1]}
    reads = await fetch_view(db, _Reads, READS_SQL, resident.account_id, resident.session_id, resident.app_id)
    keys = [*(partner(p).key for p in reads.partners), *(client(c).key for c in reads.cards)]
    if not await _stamp(generations, stamps, keys):
        return None
    premises = await fetch_view(db, list[str], PREMISES_SQL, resident.account_id)
    if not await _stamp(generations, stamps, [premise(p).key for p in premises]):
        return None
    return stamps


async def _stamp(generations: Generations, stamps: dict[str, bytes], keys: list[str]) -> bool:
    """Add the current generations of `keys` to `stamps`; False when Redis could not tell them."""
    found = await generations.read(keys)
    if found is None:
        return False
    stamps.update(zip(keys, found))
    return True
