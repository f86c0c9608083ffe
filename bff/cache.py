"""Cached screen answers (core/screen_cache.py): a screen route with `opt=SCREEN_CACHE` gets, in
the Redis round trip that checks the session, its last answer for this session and URL and the
data generation; when the answer was read under the current generation it is sent as it is, no
database touched. Otherwise the screen is built, sent, and stored under the generation read
before its data was."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.serialization import encode_json
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.service import ResidentPrincipal
from core.screen_cache import ScreenCache

SCREEN_CACHE = {"screen_cache": True}


async def screen_answer(request: Request, db: AsyncSession, resident: ResidentPrincipal,
                        build: Callable[[], Awaitable[object]]) -> Response:
    screens: ScreenCache | None = db.info.get("screens")
    if screens is None or len(resident.prefetched) != 2:
        return Response(await build(), media_type=MediaType.JSON)
    generation, entry = resident.prefetched
    cached = ScreenCache.valid(generation, entry)
    if cached is not None:
        return Response(cached, media_type=MediaType.JSON)
    if generation is None:
        generation = await screens.generation()
    body = encode_json(await build())
    await screens.store(ScreenCache.answer_key(resident.session_id, request.url.path, request.url.query or ""),
                        generation, body)
    return Response(body, media_type=MediaType.JSON)
