"""Safe retries of creating requests: a repeat with the same `Idempotency-Key` gets the first answer
back (README: Retries)."""

from __future__ import annotations

import hashlib
from litestar import Request, Response
from litestar.serialization import encode_json
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ErrorCode, InvalidInput, RuleViolation
from core.infra import idempotency


# The problem codes of Idempotency-Key.
IdempotencyCode = ErrorCode.table("IdempotencyCode", __name__, {
    RuleViolation: "idempotency_key_reused",
})


HEADER = "idempotency-key"
_MAX_KEY = 255


class Replay(Exception):  # noqa: N818 - not an error: it carries the answer to send
    """The recorded first answer, sent again instead of running the handler (web/problems.py)."""

    def __init__(self, status_code: int, body: bytes) -> None:
        super().__init__("idempotent replay")
        self.status_code = status_code
        self.body = body


async def begin(request: Request, db: AsyncSession, caller: str, holder: dict | None) -> None:
    """Before the handler of an idempotent route runs: claim the key, or replay its first answer."""
    key = request.headers.get(HEADER)
    if key is None or holder is None or request.method != "POST" or not _json(request):
        return
    if not 0 < len(key) <= _MAX_KEY or not key.isascii() or not key.isprintable():
        raise InvalidInput.field("Idempotency-Key", f"Ключ идемпотентности: от 1 до {_MAX_KEY} печатных ASCII-символов")
    scope = f"{caller}:{request.route_handler.operation_id}"
    digest = hashlib.sha256(request.url.path.encode() + b"\n" + await request.body()).hexdigest()
    if await idempotency.claim(db, scope, key, digest, request.app.state.runtime.clock.now()):
        holder["idempotency"] = (scope, key)
        return
    # The same key was claimed first by a request now committed (a concurrent one waited on it).
    record = await idempotency.first_answer(db, scope, key)
    if record.request_hash != digest:
        raise RuleViolation("Ключ идемпотентности уже использован для другого запроса",
                            code=IdempotencyCode.IDEMPOTENCY_KEY_REUSED)
    raise Replay(record.status_code or 200, record.body or b"")


def _json(request: Request) -> bool:
    # File uploads (multipart) are not hashed whole in memory; their retries are harmless (a
    # document or an import job more), and the key is ignored there.
    return request.headers.get("content-type", "application/json").startswith("application/json")


async def record(db: AsyncSession, holder: dict, response: Response) -> None:
    """Before the request's commit: the answer the claimed key will replay."""
    claim = holder.pop("idempotency", None)
    if claim is None:
        return
    body = response.content if isinstance(response.content, bytes) else encode_json(response.content)
    await idempotency.record_answer(db, claim[0], claim[1], response.status_code or 200, body)


def replay_response(request: Request, replay: Replay) -> Response:
    return Response(replay.body, status_code=replay.status_code, media_type="application/json",
                    headers={"Idempotent-Replayed": "true"})

