"""The console's login session, CSRF check and security headers (README: Staff console)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from litestar import Request
from litestar.datastructures import Cookie

from core.partners.service import PartnerPrincipal, authenticate_partner
from core.infra.redis_scripts import tag
from core.infra.runtime import Runtime
from core.infra.security import constant_time_equals, new_secret, sha256_hex
from sqlalchemy.ext.asyncio import AsyncSession

SESSION_COOKIE = "console_session"
LOGIN_CSRF_COOKIE = "console_login_csrf"
CSRF_FIELD = "csrf_token"
COOKIE_PATH = "/console"
# No inline script or style anywhere: the pages load /console/static/ only. Charts are inline
# SVG elements (markup, not images), so no data: or blob: source is needed.
CONTENT_SECURITY_POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                           "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True, slots=True)
class ConsoleSession:
    session_id: str
    token: str
    csrf: str
    admin: bool = False  # the platform admin, logged in with the bootstrap token


class LoginRequired(Exception):
    """No live console session: the page answers with the login form."""


def _key(session_id: str) -> str:
    # Only a hash of the id is stored: a read of Redis does not hand out live cookies.
    return f"console:session:{tag(sha256_hex(session_id))}"


def secure_cookies(runtime: Runtime) -> bool:
    return runtime.settings.app_env not in ("development", "test")


def cookie(runtime: Runtime, name: str, value: str, *, max_age: int | None) -> Cookie:
    return Cookie(key=name, value=value, path=COOKIE_PATH, httponly=True, secure=secure_cookies(runtime),
                  samesite="lax", max_age=max_age)


def expired_cookie(runtime: Runtime, name: str) -> Cookie:
    return cookie(runtime, name, "", max_age=0)


async def open_session(runtime: Runtime, token: str, *, admin: bool = False) -> ConsoleSession:
    session = ConsoleSession(session_id=new_secret(32), token=token, csrf=new_secret(32), admin=admin)
    await runtime.redis.set(_key(session.session_id),
                            json.dumps({"token": token, "csrf": session.csrf, "admin": admin}),
                            ex=runtime.settings.staff_token_ttl)
    return session


async def load_session(runtime: Runtime, request: Request) -> ConsoleSession | None:
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id or len(session_id) > 128:
        return None
    raw = await runtime.redis.get(_key(session_id))
    if raw is None:
        return None
    data = json.loads(raw)
    return ConsoleSession(session_id=session_id, token=data["token"], csrf=data["csrf"],
                          admin=bool(data.get("admin")))


async def close_session(runtime: Runtime, session: ConsoleSession) -> None:
    await runtime.redis.delete(_key(session.session_id), _flash_key(session))


def _flash_key(session: ConsoleSession) -> str:
    # The session's slot: closing a session drops both in one command, on a Redis Cluster too.
    return f"console:flash:{tag(sha256_hex(session.session_id))}"


async def flash(runtime: Runtime, session: ConsoleSession, value: str) -> None:
    """Keeps `value` for the session's next page only (a new API key, shown once after the
    redirect that follows its creation; a reload of that page no longer has it)."""
    await runtime.redis.set(_flash_key(session), value, ex=300)


async def take_flash(runtime: Runtime, session: ConsoleSession) -> str | None:
    return await runtime.redis.getdel(_flash_key(session))


async def actor_of(runtime: Runtime, db: AsyncSession, request: Request, session: ConsoleSession) -> PartnerPrincipal:
    """The staff member behind the session, checked as the API checks a staff token: a
    deactivated account, a removed role or an expired token ends the session."""
    actor = await authenticate_partner(runtime, db, session.token,
                                       ip=request.client.host if request.client else None)
    request.scope.setdefault("state", {})["partner_id"] = str(actor.partner_id)  # for JSON logs
    return actor


def csrf_matches(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and constant_time_equals(expected, given)
