"""Cached screen answers (core/screen_cache.py): a screen's last answer per session and URL, sent
again without the database while the data it was read from is unchanged."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

import msgspec
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.serialization import encode_json
from sqlalchemy.ext.asyncio import AsyncSession

from bff.brands.context import ACCOUNT_CARDS
from bff.sql import fetch_view
from core.infra import metrics
from core.auth.service import ResidentPrincipal
from core.screen_cache import (GENERATION_KEY, ScreenCache, account_scope, client_scope, partner_scope,
                               premise_scope)
from web.deps import request_session

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


# The premises the account reaches: read after its partners' generations (core/screen_cache.py).
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
    if resident.screen_check and resident.screen_check[0] is not None:
        # No database session made: it answers while PostgreSQL is away too, saying so.
        stale = not request.app.state.runtime.db_breaker.closed
        _HIT.inc()
        return _send(request, *_tagged(resident.screen_check[0]), stale=stale)
    db = request_session(request.app.state.runtime)
    screens: ScreenCache | None = db.info.get("screens")
    if screens is None or not resident.screen_check:
        body = encode_json(await build(db))
        _BUILT.inc()
        return _send(request, etag(body), body)
    stamps = await _stamps(db, screens, resident, resident.screen_check[1:])
    body = encode_json(await build(db))
    tag = etag(body)
    if stamps is not None:
        await screens.store(ScreenCache.answer_key(resident.session_id, request.url.path, request.url.query or ""),
                            stamps, tag + b"\n" + body)
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


async def _stamps(db: AsyncSession, screens: ScreenCache, resident: ResidentPrincipal,
                  read: tuple[bytes | None, ...]) -> dict[str, bytes] | None:
    """The generations an answer built now is stamped with; None: it is not to be stored."""
    if len(read) != 2 or None in read:
        return None
    stamps = {GENERATION_KEY: read[0], account_scope(resident.account_id): read[1]}
    reads = await fetch_view(db, _Reads, READS_SQL, resident.account_id, resident.session_id, resident.app_id)
    keys = [*(partner_scope(p) for p in reads.partners), *(client_scope(c) for c in reads.cards)]
    if not await _stamp(screens, stamps, keys):
        return None
    premises = await fetch_view(db, list[str], PREMISES_SQL, resident.account_id)
    if not await _stamp(screens, stamps, [premise_scope(p) for p in premises]):
        return None
    return stamps


async def _stamp(screens: ScreenCache, stamps: dict[str, bytes], keys: list[str]) -> bool:
    """Add the current generations of `keys` to `stamps`; False when Redis could not tell them."""
    generations = await screens.generations(keys)
    if generations is None or None in generations:
        return False
    stamps.update(zip(keys, generations))
    return True
