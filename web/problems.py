"""Every error leaves as RFC 9457 problem details with a stable `code`."""

from __future__ import annotations

import logging
import random
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import msgspec
import redis.exceptions
from litestar import Request, Response
from litestar.exceptions import HTTPException, SerializationException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.types import Scope
from sqlalchemy import exc as sa_exc

from core.infra.breaker import database_down
from core.errors import (Common, Conflict, DomainError, ErrorCode, InvalidInput, NotAuthenticated, NotFound,
                         PermissionDenied, RateLimited, RuleViolation, ServiceUnavailable, TooLarge)
from web import idempotency

log = logging.getLogger("web.errors")
PROBLEM_JSON = "application/problem+json"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

STATUS_OF: dict[type[DomainError], int] = {
    InvalidInput: 400,
    NotAuthenticated: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    TooLarge: 413,
    RuleViolation: 422,
    RateLimited: 429,
    ServiceUnavailable: 503,
}
TITLES = {
    400: "Bad request", 401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed",
    409: "Conflict", 413: "Payload too large", 415: "Unsupported media type", 422: "Unprocessable entity",
    429: "Too many requests", 500: "Internal server error", 503: "Service unavailable",
}


class HttpCode(StrEnum):
    """The codes of refusals and failures the web layer gives itself (no domain error behind
    them), each with its status."""

    status: int

    def __new__(cls, value: str, status: int) -> HttpCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.status = status
        return member

    BAD_REQUEST = "bad_request", 400
    VALIDATION_ERROR = "validation_error", 400
    MALFORMED_JSON = "malformed_json", 400
    METHOD_NOT_ALLOWED = "method_not_allowed", 405
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415
    INTERNAL_ERROR = "internal_error", 500


# The code of a framework refusal (HTTPException) by its status.
CODES: dict[int, str] = {
    400: HttpCode.BAD_REQUEST, 401: Common.NOT_AUTHENTICATED, 403: Common.FORBIDDEN, 404: Common.NOT_FOUND,
    405: HttpCode.METHOD_NOT_ALLOWED, 409: Common.CONFLICT, 413: Common.PAYLOAD_TOO_LARGE,
    415: HttpCode.UNSUPPORTED_MEDIA_TYPE, 422: Common.RULE_VIOLATION, 429: Common.RATE_LIMITED,
    500: HttpCode.INTERNAL_ERROR, 503: Common.SERVICE_UNAVAILABLE,
}
# Under test settings (APP_ENV=test) every problem answer of an operation is checked against the
# codes the operation declares (web/openapi.declare_problems); what it answered undeclared is
# put here, and the test suite fails the test that made it.
DECLARED = "problem_codes"
UNDECLARED: list[str] = []


def status_of_code(code: ErrorCode | HttpCode) -> int:
    """The status a code is answered with: its error kind's, or the web layer's own."""
    if isinstance(code, HttpCode):
        return code.status
    return next(status for kind, status in STATUS_OF.items() if issubclass(code.kind, kind))


class FieldProblem(msgspec.Struct, kw_only=True):
    field: str
    message: str


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    type: str
    title: str
    status: int
    detail: str
    code: str
    errors: list[FieldProblem] | None = None
    request_id: str | None = None


def request_id_of(scope: Scope) -> str:
    state = scope.setdefault("state", {})
    rid = state.get("request_id")
    if rid is None:
        incoming = ""
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        # A request id is a label to find log lines by, not a secret: a pseudo-random 128 bits is
        # as unique as uuid4 and costs no system call.
        rid = incoming if _REQUEST_ID.match(incoming) else f"{random.getrandbits(128):032x}"
        state["request_id"] = rid
    return rid


async def add_request_id_header(message: Any, scope: Scope) -> None:
    """before_send hook: every answer, errors included, carries X-Request-ID."""
    if message["type"] == "http.response.start":
        headers = list(message.get("headers", ()))
        headers.append((b"x-request-id", request_id_of(scope).encode()))
        message["headers"] = headers


def problem_response(request: Request, status: int, detail: str, code: str, *,
                     errors: list[FieldProblem] | None = None, headers: dict[str, str] | None = None,
                     extra: dict[str, object] | None = None) -> Response:
    body = Problem(type=f"https://errors.resident.app/{code}", title=TITLES.get(status, "Error"), status=status,
                   detail=detail, code=code, errors=errors, request_id=request_id_of(request.scope))
    if request.app.state.get(DECLARED):
        _check_declared(request, status, code)
    content: object = body
    if extra:
        content = {**msgspec.to_builtins(body), **{k: v for k, v in extra.items() if k not in body.__struct_fields__}}
    return Response(content, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _check_declared(request: Request, status: int, code: str) -> None:
    handler = request.scope.get("route_handler")
    declared = handler.opt.get(DECLARED) if handler is not None else None
    if declared is not None and code not in declared.get(status, ()):
        UNDECLARED.append(f"{handler.operation_id or handler} answered {status} '{code}', "
                          f"declared for {status}: {sorted(map(str, declared.get(status, ())))}")


def _domain(request: Request, exc: DomainError) -> Response:
    status = next((s for cls, s in STATUS_OF.items() if isinstance(exc, cls)), 400)
    errors = [FieldProblem(field=e.field, message=e.message) for e in getattr(exc, "errors", [])] or None
    retry_after = getattr(exc, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return problem_response(request, status, exc.detail, exc.code, errors=errors, headers=headers, extra=exc.extra)


def _validation(request: Request, exc: ValidationException) -> Response:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            field = str(item.get("key") or item.get("source") or "body")
            errors.append(FieldProblem(field=field, message=str(item.get("message", "invalid value"))))
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or "Invalid request"
    return problem_response(request, 400, detail, HttpCode.VALIDATION_ERROR, errors=errors or None)


def _http(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        return _unexpected(request, exc)
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail else TITLES.get(status, "Error")
    if status == 400 and isinstance(exc.__cause__, SerializationException):
        return problem_response(request, 400, f"Malformed JSON body: {detail}", HttpCode.MALFORMED_JSON)
    headers = dict(exc.headers or {}) or None
    return problem_response(request, status, detail, CODES.get(status, "error"), headers=headers)


def _unavailable(request: Request, exc: Exception) -> Response:
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is not None and not isinstance(exc, redis.exceptions.RedisError) and database_down(exc):
        runtime.db_breaker.failed(exc)  # cached screens now say their data may be stale
    log.warning("dependency unavailable (request %s): %s", request_id_of(request.scope), type(exc).__name__)
    return problem_response(request, 503, "Сервис временно недоступен, повторите попытку позже",
                            Common.SERVICE_UNAVAILABLE, headers={"Retry-After": "5"})


def _integrity(request: Request, exc: sa_exc.IntegrityError) -> Response:
    log.info("integrity conflict (request %s): %s", request_id_of(request.scope), exc.orig.__class__.__name__)
    return problem_response(request, 409, "Данные изменились одновременно с вашим запросом; повторите его",
                            Common.CONFLICT)


def _data_error(request: Request, exc: sa_exc.DataError) -> Response:
    return problem_response(request, 400, "Значение вне допустимого диапазона", Common.INVALID_INPUT)


def _unexpected(request: Request, exc: Exception) -> Response:
    rid = request_id_of(request.scope)
    log.error("unhandled error (request %s)", rid, exc_info=exc)
    return problem_response(request, 500, f"Внутренняя ошибка. Номер запроса: {rid}", HttpCode.INTERNAL_ERROR)


def _dbapi(request: Request, exc: sa_exc.DBAPIError) -> Response:
    if database_down(exc):
        # A lost connection, or a server shutting down or starting up: not the request's fault.
        return _unavailable(request, exc)
    state = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or ""
    if str(state).startswith("22"):
        # Class 22, data exceptions: a value PostgreSQL cannot take (a NUL character, say).
        return problem_response(request, 400, "Недопустимое значение во входных данных", Common.INVALID_INPUT)
    return _unexpected(request, exc)


EXCEPTION_HANDLERS = {
    idempotency.Replay: idempotency.replay_response,
    DomainError: _domain,
    ValidationException: _validation,
    HTTPException: _http,
    sa_exc.IntegrityError: _integrity,
    sa_exc.DataError: _data_error,
    sa_exc.OperationalError: _unavailable,
    sa_exc.InterfaceError: _unavailable,
    sa_exc.TimeoutError: _unavailable,
    sa_exc.DBAPIError: _dbapi,
    redis.exceptions.ConnectionError: _unavailable,
    redis.exceptions.TimeoutError: _unavailable,
    ConnectionError: _unavailable,
    Exception: _unexpected,
}


@dataclass
class ProblemSpec(ResponseSpec):
    """The answer of one refusal status of a route, with the codes the route itself declares for it;
    web/openapi.declare_problems adds what the route's guards, body and idempotency may answer."""

    codes: tuple[str, ...] = ()


def problems(*codes: ErrorCode | HttpCode) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the refusals a route answers with on its own (the codes of its domain
    errors, from the areas' tables); the document lists each status's codes as an enum."""
    statuses: dict[int, list[str]] = {}
    for code in codes:
        statuses.setdefault(status_of_code(code), []).append(code)
    return {status: ProblemSpec(data_container=Problem, description=TITLES.get(status, "Error"),
                                media_type=PROBLEM_JSON, generate_examples=False, codes=tuple(statuses[status]))
            for status in sorted(statuses)}
