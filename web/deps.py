"""Request-scoped dependencies: one database session per request (committed when the handler succeeds), the runtime,
the principals behind the bearer token, and the sealing of a list's pagination cursors."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass

from litestar import Request, Response
from litestar.datastructures import State
from litestar.di import Provide
from litestar.types import ASGIApp, Receive, Scope, Send
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.service import AuthCode, CheckPart, ResidentPrincipal, authenticate, authenticate_with
from core.infra.db import commit
from core.errors import Common, NotAuthenticated, PermissionDenied
from core.infra.pagination import CursorCodec, Position
from core.partners.service import (
    PartnerCode,
    PartnerPrincipal,
    admin_sign_in,
    authenticate_partner,
)
from core.infra.runtime import Runtime
from core.infra.security import TokenCode
from web import idempotency, logs


async def provide_runtime(state: State) -> Runtime:
    return state.runtime


# The request's session is not a generator dependency: Litestar drops the clean-up of generator
# dependencies when a later dependency (say, authentication) raises. Instead a middleware opens a
# request scope; the session made in it is committed by an after-request hook once the handler
# has answered (before the answer is sent, so a failed commit is still an error answer) and
# closed by the middleware whatever happened, which rolls back what was not committed.
_request_scope: ContextVar[dict | None] = ContextVar("request_scope", default=None)


def session_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        holder: dict = {}
        token = _request_scope.set(holder)
        logged = logs.request_scope.set(scope)
        try:
            await app(scope, receive, send)
        finally:
            logs.request_scope.reset(logged)
            _request_scope.reset(token)
            session = holder.pop("session", None)
            if session is not None and session.in_transaction():
                # Without an open transaction (none begun, or committed) a session holds no connection.
                await session.close()

    return middleware


def request_session(runtime: Runtime) -> AsyncSession:
    """The request's database session, made on first use: a request that needs no database (a
    cached screen) makes none."""
    holder = _request_scope.get()
    if holder is None:
        raise RuntimeError("the session middleware is not installed")
    session = holder.get("session")
    if session is None:
        session = holder["session"] = runtime.sessionmaker()
    return session


async def provide_db(runtime: Runtime) -> AsyncSession:
    # Taking the runtime (not the app state) chains the dependencies: Litestar resolves
    # dependencies of one level together in a task group, which costs more than they do.
    return request_session(runtime)


async def commit_request_session(response: Response) -> Response:
    holder = _request_scope.get()
    session = holder.get("session") if holder else None
    if session is not None and "idempotency" in holder:
        await idempotency.record(session, holder, response)
    if session is not None and session.in_transaction():
        await commit(session)
    return response


def client_ip(request: Request) -> str | None:
    """The client's address (found through the trusted proxies, web/forwarded.py)."""
    return request.client.host if request.client else None


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def resident_token(request: Request) -> str:
    token = bearer_token(request)
    if token is None:
        raise NotAuthenticated("Требуется вход в приложение", code=Common.NOT_AUTHENTICATED)
    return token


async def provide_resident(request: Request, runtime: Runtime, db: AsyncSession) -> ResidentPrincipal:
    resident = await authenticate(runtime, lambda: db, resident_token(request))
    await idempotency.begin(request, db, f"session:{resident.session_id}", _request_scope.get())
    return resident


async def provide_optional_resident(request: Request, runtime: Runtime, db: AsyncSession) -> ResidentPrincipal | None:
    token = bearer_token(request)
    return None if token is None else await authenticate(runtime, lambda: db, token)


async def provide_partner(request: Request, runtime: Runtime, db: AsyncSession) -> PartnerPrincipal:
    """The staff member or API key behind the token. A route declares the permission it needs
    as `opt={"permission": "..."}`; this one check enforces it for every staff route."""
    token = bearer_token(request)
    if token is None:
        raise NotAuthenticated("Требуется токен сотрудника или ключ API", code=Common.NOT_AUTHENTICATED)
    actor = await authenticate_partner(runtime, db, token, ip=client_ip(request))
    request.scope.setdefault("state", {})["partner_id"] = str(actor.partner_id)  # for JSON logs
    permission = request.route_handler.opt.get("permission")
    if permission and not actor.can(permission):
        raise PermissionDenied.lacking(permission)
    await idempotency.begin(request, db, f"{actor.actor_type}:{actor.actor_id}", _request_scope.get())
    return actor


async def provide_admin(request: Request, runtime: Runtime) -> bool:
    if not await admin_sign_in(runtime, bearer_token(request), client_ip(request)):
        raise NotAuthenticated("Требуется токен администратора платформы", code=Common.NOT_AUTHENTICATED)
    return True


# Query parameters that do not make a list another list: the cursor itself and the page size.
_PAGING = frozenset({"cursor", "limit"})


@dataclass(frozen=True, slots=True)
class Pages:
    """The cursors of one list request: `open` the `?cursor=` it got, `seal` the next page's
    position. Both are bound to the list (path, every query parameter but the cursor and the page
    size: sort and filters) and to whose data it is, so a cursor of another list, sort, filter,
    partner or resident is refused like a forged one (STAFF-02)."""

    codec: CursorCodec
    scope: str

    def open(self, cursor: str | None) -> Position | None:
        return self.codec.open(cursor, self.scope)

    def seal(self, position: Position | None) -> str | None:
        return self.codec.seal(position, self.scope)


def list_scope(request: Request, owner: str) -> str:
    query = sorted((name, value) for name, value in request.query_params.multi_items() if name not in _PAGING)
    return "\n".join([owner, request.url.path, *(f"{name}={value}" for name, value in query)])


async def provide_partner_pages(request: Request, runtime: Runtime, actor: PartnerPrincipal) -> Pages:
    return Pages(runtime.cursors, list_scope(request, f"partner:{actor.partner_id}"))


async def provide_resident_pages(request: Request, runtime: Runtime, resident: ResidentPrincipal) -> Pages:
    return Pages(runtime.cursors, list_scope(request, f"account:{resident.account_id}"))


async def provide_admin_pages(request: Request, runtime: Runtime, admin: bool) -> Pages:
    return Pages(runtime.cursors, list_scope(request, "platform-admin"))


COMMON = {"runtime": Provide(provide_runtime), "db": Provide(provide_db)}
RESIDENT = {"resident": Provide(provide_resident), "pages": Provide(provide_resident_pages)}
OPTIONAL_RESIDENT = {"resident": Provide(provide_optional_resident)}
PARTNER = {"actor": Provide(provide_partner), "pages": Provide(provide_partner_pages)}
ADMIN = {"admin": Provide(provide_admin), "pages": Provide(provide_admin_pages)}

# What each guard may refuse with (a route with a permission also `permission_required`), for the
# codes every operation declares (web/openapi.generic_codes).
_RESIDENT_CODES = (TokenCode.INVALID_TOKEN, TokenCode.TOKEN_EXPIRED, AuthCode.SESSION_INACTIVE,
                   AuthCode.APP_REQUESTS_LIMITED)
GUARD_CODES = {
    provide_resident: (Common.NOT_AUTHENTICATED, *_RESIDENT_CODES),
    provide_optional_resident: _RESIDENT_CODES,
    provide_partner: (Common.NOT_AUTHENTICATED, TokenCode.INVALID_TOKEN, TokenCode.TOKEN_EXPIRED,
                      PartnerCode.INVALID_API_KEY, PartnerCode.STAFF_INACTIVE),
    provide_admin: (Common.NOT_AUTHENTICATED, PartnerCode.ADMIN_TOKEN_IP_LIMITED),
}
# The guards that claim an `Idempotency-Key` of a JSON POST, and the dependencies that open a cursor.
IDEMPOTENT_GUARDS = frozenset({provide_resident, provide_partner})
PAGES = frozenset({provide_partner_pages, provide_resident_pages, provide_admin_pages})

RESIDENT_SECURITY = [{"ResidentBearer": []}]
PARTNER_SECURITY = [{"StaffBearer": []}, {"ApiKeyBearer": []}]
ADMIN_SECURITY = [{"AdminBearer": []}]


PartOf = Callable[[Request, Runtime], Callable[[uuid.UUID, uuid.UUID], CheckPart] | None]


def checked_resident(part_of: PartOf) -> dict[str, Provide]:
    """The `resident` dependency of routes whose session check also runs the CheckPart `part_of`
    gives for the request (None: nothing more), in the same Redis round trip; its result is the
    request's `state.session_check` (bff/cache.py: a cached screen). No database session is made
    unless something needs one."""

    async def provide_checked_resident(request: Request, runtime: Runtime) -> ResidentPrincipal:
        resident, checked = await authenticate_with(
            runtime, lambda: request_session(runtime), resident_token(request), part_of(request, runtime))
        request.scope.setdefault("state", {})["session_check"] = checked
        return resident

    GUARD_CODES[provide_checked_resident] = (Common.NOT_AUTHENTICATED, *_RESIDENT_CODES)
    return {"resident": Provide(provide_checked_resident)}
