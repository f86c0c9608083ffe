"""Resident authentication: SMS code login, device sessions, rotating refresh tokens with
reuse detection, and the per-request check that a session is still alive."""

from __future__ import annotations

import contextlib
import logging
import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from core.changes import EVERYONE, UNAFFECTED, announce
from core.infra import ratelimit
from core.auth import otp, repository
from core.infra.breaker import DependencyDown, database_down
from core.infra.db import after_commit, commit
from core.enums import NOTIFICATION_TYPES
from core.errors import ErrorCode, NotAuthenticated, RateLimited, RuleViolation, ServiceUnavailable
from core.models import Account, AppVisit, DeviceSession, RefreshToken
from core.phones import country_of, normalize_phone
from core.infra.redis_scripts import RawScript, tag
from core.infra.runtime import Runtime
from core.infra.security import TokenCode, new_secret, sha256_hex


# The problem codes of resident login and sessions.
AuthCode = ErrorCode.table("AuthCode", __name__, {
    NotAuthenticated: "otp_invalid otp_expired invalid_refresh_token session_inactive refresh_token_reused "
                      "refresh_token_expired",
    RateLimited: "otp_too_soon otp_phone_limited otp_ip_limited otp_attempts_exceeded login_ip_limited "
                 "app_requests_limited",
    RuleViolation: "sms_country_not_served",
    ServiceUnavailable: "sms_budget_exhausted",
})


log = logging.getLogger(__name__)

SESSION_CACHE_TTL = 300
TOUCH_INTERVAL = 60

# A session's cached state in Redis (`sess:{<id>}`). ALIVE is written only where nothing is cached
# (SET NX), from a database read; DEAD and ENDING are written over anything, so a deactivation wins
# every race with a refill that read the database before it committed. ENDING is written before
# the deactivation commits and means "ask the database on every request": the session is dead the
# moment the deactivation commits, even if the DEAD written after the commit never reaches Redis.
ALIVE, DEAD, ENDING = b"1", b"0", b"2"


@dataclass(frozen=True, slots=True)
class OtpIssued:
    expires_in: int
    debug_code: str | None


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    app_id: str
    platform: str
    model: str | None = None
    name: str | None = None
    os_version: str | None = None
    app_version: str | None = None


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    session_id: uuid.UUID
    account_id: uuid.UUID
    access_expires_at: datetime


@dataclass(frozen=True, slots=True)
class ResidentPrincipal:
    account_id: uuid.UUID
    session_id: uuid.UUID
    app_id: str


TOO_MANY_CODES = "Слишком много запросов кода. Повторите позже"
TOO_MANY_LOGINS = "Слишком много попыток входа. Повторите позже"
HOUR = 3600


def _otp_counters(rt: Runtime, phone: str) -> list[otp.Counter]:
    """What an issued code is counted in: the phone's codes this hour, the platform's SMS budget."""
    settings = rt.settings
    counters = []
    for rule, subject in ((ratelimit.Limit("otp_phone", settings.otp_per_phone_hour, HOUR, TOO_MANY_CODES), phone),
                          (ratelimit.Limit("sms", settings.sms_per_hour, HOUR), "all")):
        key, _ = ratelimit.window(rt, rule, subject, slot=otp.SLOT)
        counters.append(otp.Counter(key, rule.limit, 2 * HOUR))
    return counters


def _until_next_hour(rt: Runtime) -> int:
    now = rt.clock.now().timestamp()
    return max(1, math.ceil((now // HOUR + 1) * HOUR - now))


def check_sms_country(phone: str, countries: tuple[str, ...]) -> None:
    """Codes go only to phones of the countries served (SMS_COUNTRIES; `*`: any): SMS pumping
    buys numbers where messages cost most."""
    if "*" in countries:
        return
    country = country_of(phone)
    if country not in countries:
        raise RuleViolation("Вход по SMS для номеров этой страны недоступен", code=AuthCode.SMS_COUNTRY_NOT_SERVED,
                            extra={"country": country, "countries": list(countries)})


async def request_otp(rt: Runtime, db: AsyncSession, raw_phone: str, *, ip: str | None = None) -> OtpIssued:
    phone = normalize_phone(raw_phone)
    settings = rt.settings
    check_sms_country(phone, settings.sms_countries)
    if ip:
        await ratelimit.hit(rt, ratelimit.Limit("otp_ip", settings.otp_per_ip_hour, HOUR, TOO_MANY_CODES,
                                             code=AuthCode.OTP_IP_LIMITED), ip)
    code = otp.new_code()
    counters = _otp_counters(rt, phone)
    # Login codes live in Redis alone: while it is away they can be neither given nor checked,
    # and the request answers 503 with Retry-After (DependencyDown).
    issued = await rt.redis_breaker.run(lambda: otp.issue_code(
        rt.redis, phone, code, key=settings.token_secret, now=rt.clock.now().timestamp(), ttl=settings.otp_ttl,
        resend_interval=settings.otp_resend_interval, counters=counters))
    if issued.outcome == "too_soon":
        raise RateLimited(f"Новый код можно запросить через {issued.wait} с", retry_after=issued.wait,
                          code=AuthCode.OTP_TOO_SOON)
    if issued.outcome == "full" and issued.counter == 0:
        raise RateLimited(TOO_MANY_CODES, retry_after=_until_next_hour(rt), code=AuthCode.OTP_PHONE_LIMITED)
    if issued.outcome == "full":
        # Not the caller's doing: the platform's hourly SMS budget is spent (SMS_PER_HOUR).
        raise ServiceUnavailable("Отправка кодов временно приостановлена. Повторите позже",
                                 code=AuthCode.SMS_BUDGET_EXHAUSTED, retry_after=_until_next_hour(rt))
    try:
        await rt.sms.send(db, phone, f"Код для входа в приложение: {code}", secret=code)
    except Exception:
        with contextlib.suppress(RedisError, DependencyDown):
            await rt.redis_breaker.run(lambda: otp.withdraw_code(rt.redis, phone, counters))
        raise
    return OtpIssued(expires_in=settings.otp_ttl, debug_code=code if rt.sms.reveals_codes else None)


async def login(rt: Runtime, db: AsyncSession, raw_phone: str, code: str, device: DeviceInfo, *,
                ip: str | None = None) -> TokenPair:
    phone = normalize_phone(raw_phone)
    now = rt.clock.now()
    settings = rt.settings
    # Guessing is limited per code (OTP_MAX_ATTEMPTS) and per caller, never per phone: anyone can
    # send a phone's number, and a wrong guess must not keep its owner out.
    if ip:
        await ratelimit.hit(rt, ratelimit.Limit("login_ip", settings.login_per_ip_hour, HOUR, TOO_MANY_LOGINS,
                                             code=AuthCode.LOGIN_IP_LIMITED), ip)
    wrong_key, _ = ratelimit.window(rt, ratelimit.Limit("login_phone", settings.login_per_phone_hour, HOUR), phone,
                                    slot=otp.SLOT)
    verdict = await rt.redis_breaker.run(lambda: otp.check_code(
        rt.redis, phone, code.strip(), key=settings.token_secret, now=now.timestamp(),
        max_attempts=settings.otp_max_attempts,
        phone_wrong=otp.Counter(wrong_key, settings.login_per_phone_hour, 2 * HOUR)))
    if verdict.outcome == "wrong":
        raise NotAuthenticated(f"Неверный код. Осталось попыток: {verdict.attempts_left}", code=AuthCode.OTP_INVALID)
    if verdict.outcome == "exhausted":
        # The code is burned; a new one may be requested at once.
        raise RateLimited("Слишком много неверных попыток. Запросите новый код", retry_after=1,
                          code=AuthCode.OTP_ATTEMPTS_EXCEEDED)
    if verdict.outcome in ("missing", "expired"):
        raise NotAuthenticated("Код устарел или не запрашивался. Запросите новый код", code=AuthCode.OTP_EXPIRED)

    account_id = await _upsert_account(db, phone, now)
    session = DeviceSession(
        account_id=account_id, app_id=device.app_id, platform=device.platform, model=device.model,
        device_name=device.name, os_version=device.os_version, app_version=device.app_version,
        created_at=now, last_activity_at=now,
    )
    db.add(session)
    await db.flush()
    await _record_visit(db, account_id, device.app_id, device.app_version, now)
    return await _issue_pair(rt, db, session.id, account_id, device.app_id)


async def _upsert_account(db: AsyncSession, phone: str, now: datetime) -> uuid.UUID:
    stmt = (
        insert(Account)
        .values(phone=phone, first_login_at=now, last_visit_at=now)
        .on_conflict_do_update(
            index_elements=[Account.phone],
            set_={"last_visit_at": now, "first_login_at": func.coalesce(Account.first_login_at, now)},
        )
        # The subquery reads the snapshot the statement started from: the first login before it.
        .returning(Account.id, Account.first_name,
                   select(Account.first_login_at).where(Account.phone == phone).scalar_subquery())
    )
    # A returning account's login only stamps its last visit, which no screen shows; its first
    # login (or a new account) is seen by the screens of the people it shares premises with.
    account_id, first_name, logged_in_before = (
        await db.execute(stmt, execution_options={UNAFFECTED: True})).one()
    if logged_in_before is None:
        announce(db, EVERYONE)
    if first_name is None:
        # The app-side name starts as the name staff gave the newest card with this phone.
        card = await repository.newest_named_card(db, phone)
        if card:
            await db.execute(update(Account).where(Account.id == account_id).values(
                last_name=card.last_name, first_name=card.first_name, middle_name=card.middle_name,
                email=func.coalesce(Account.email, card.email),
                birth_date=func.coalesce(Account.birth_date, card.birth_date)))
    return account_id


async def _record_visit(db: AsyncSession, account_id: uuid.UUID, app_id: str, app_version: str | None,
                        now: datetime, *, push_enabled: bool = False) -> None:
    await db.execute(
        insert(AppVisit).values(account_id=account_id, day=now.date(), app_version=app_version or "",
                                app_id=app_id, push_enabled=push_enabled)
        .on_conflict_do_nothing()
    )


def _push_enabled(os_enabled: bool | None, types: dict[str, bool] | None) -> bool:
    """As push.rules.push_enabled (core may not import push): OS permission on and a type on,
    a type never reported counting as on."""
    return os_enabled is True and any((types or {}).get(kind, True) for kind in NOTIFICATION_TYPES)


async def _issue_pair(rt: Runtime, db: AsyncSession, session_id: uuid.UUID, account_id: uuid.UUID,
                      app_id: str) -> TokenPair:
    now = rt.clock.now()
    refresh = "rt_" + new_secret(32)
    db.add(RefreshToken(token_hash=sha256_hex(refresh), session_id=session_id, created_at=now,
                        expires_at=now + timedelta(seconds=rt.settings.refresh_token_ttl)))
    await db.flush()
    access, expires = rt.tokens.issue(
        {"typ": "access", "sub": str(account_id), "sid": str(session_id), "app": app_id},
        rt.settings.access_token_ttl,
    )
    return TokenPair(access, refresh, session_id, account_id, expires)


async def refresh(rt: Runtime, db: AsyncSession, refresh_token: str) -> TokenPair:
    now = rt.clock.now()
    row = await repository.refresh_token_for_update(db, sha256_hex(refresh_token))
    if row is None:
        raise NotAuthenticated("Токен обновления недействителен", code=AuthCode.INVALID_REFRESH_TOKEN)
    token, account_id, app_id, deactivated_at = row
    if deactivated_at is not None:
        raise NotAuthenticated("Сессия завершена", code=AuthCode.SESSION_INACTIVE)
    if token.used_at is not None:
        # A refresh token used twice was copied: end the session for both holders. The
        # deactivation must survive the error answer, hence the commit here.
        await deactivate_session(rt, db, token.session_id, reason="refresh_reuse")
        await commit(db)
        raise NotAuthenticated("Токен обновления уже использован; сессия завершена", code=AuthCode.REFRESH_TOKEN_REUSED)
    if token.expires_at <= now:
        raise NotAuthenticated("Срок действия токена обновления истёк", code=AuthCode.REFRESH_TOKEN_EXPIRED)
    token.used_at = now
    await db.execute(update(DeviceSession).where(DeviceSession.id == token.session_id).values(last_activity_at=now))
    return await _issue_pair(rt, db, token.session_id, account_id, app_id)


def _marker_ttl(rt: Runtime) -> int:
    """How long a DEAD or ENDING state is kept: longer than the cache's ALIVE, and than any access
    token of the session lives, so a refill that read the database before the deactivation and
    writes late still finds the marker (and, NX, writes nothing)."""
    return max(SESSION_CACHE_TTL, rt.settings.access_token_ttl) + SESSION_CACHE_TTL


async def deactivate_session(rt: Runtime, db: AsyncSession, session_id: uuid.UUID, *, reason: str) -> bool:
    """End a session: its tokens stop working at once and its device gets no more pushes."""
    result = await db.execute(
        update(DeviceSession)
        .where(DeviceSession.id == session_id, DeviceSession.deactivated_at.is_(None))
        .values(deactivated_at=rt.clock.now(), deactivation_reason=reason, fcm_token=None)
    )
    key, ttl = _session_key(session_id), _marker_ttl(rt)
    # Before the commit: a Redis that answers but cannot take it fails the deactivation (nothing
    # is committed) rather than leave a cached ALIVE answering for a dead session. A Redis that is
    # down (DependencyDown) leaves the deactivation to the database alone: while it is away every
    # process asks the database, and when it answers again the processes that saw it down write
    # DEAD for every session ended meanwhile before believing anything it holds
    # (mark_ended_sessions).
    with contextlib.suppress(DependencyDown):
        await rt.redis_breaker.run(lambda: rt.redis.set(key, ENDING, ex=ttl))

    async def forget() -> None:
        try:
            await rt.redis_breaker.run(lambda: rt.redis.set(key, DEAD, ex=ttl))
        except (RedisError, DependencyDown) as exc:
            # ENDING stays (or, Redis down, nothing): the database refuses the session, and an
            # outage ends with mark_ended_sessions.
            log.warning("a deactivated session's state was not cached (%s); the database refuses it",
                        type(exc).__name__)

    after_commit(db, forget)
    return bool(result.rowcount)


async def _session_state(rt: Runtime, session: Callable[[], AsyncSession], session_id: uuid.UUID,
                         cached: bytes | None) -> bytes:
    """The state the database gives a session Redis has no answer for (nothing, or ENDING)."""
    row = (await session().execute(
        select(DeviceSession.deactivated_at).where(DeviceSession.id == session_id))).first()
    key = _session_key(session_id)
    if row is None or row[0] is not None:
        with contextlib.suppress(DependencyDown):
            await rt.redis_breaker.run(lambda: rt.redis.set(key, DEAD, ex=_marker_ttl(rt)))
        return DEAD
    if cached is None:
        # NX: a deactivation that committed after the read above has written its marker; keep it.
        with contextlib.suppress(DependencyDown):
            await rt.redis_breaker.run(lambda: rt.redis.set(key, ALIVE, ex=SESSION_CACHE_TTL, nx=True))
    return ALIVE


async def mark_ended_sessions(rt: Runtime, since: datetime) -> None:
    """After a Redis outage that began at `since`: DEAD for every session ended since (a minute
    earlier, for the clocks of other processes), over the ALIVE a Redis that kept its data may
    still hold."""
    async with rt.sessionmaker() as db:
        ended = (await db.scalars(select(DeviceSession.id).where(
            DeviceSession.deactivated_at >= since - timedelta(seconds=TOUCH_INTERVAL)))).all()
    ttl = _marker_ttl(rt)
    for first in range(0, len(ended), 500):
        async with rt.redis.pipeline(transaction=False) as pipe:
            for session_id in ended[first:first + 500]:
                pipe.set(_session_key(session_id), DEAD, ex=ttl)
            await pipe.execute()
    if ended:
        log.warning("%d sessions ended while Redis was away are refused from its cache too", len(ended))


# The per-request check in one command: the session's cached state (an ALIVE one kept while the
# session is used, so a resident in the middle of using the app is not sent to the database for it;
# the touch below still checks the database once a TOUCH_INTERVAL), the request counter of the
# rate window (kept two windows), the touch mark (set when missing) and what a CheckPart adds. Its
# keys share the session's slot on a Redis Cluster.
_SESSION_PART = """
local state = redis.call('GET', KEYS[1])
if state == '1' then redis.call('EXPIRE', KEYS[1], SESSION_TTL) end
local requests = redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], 120)
local touch = redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[1])
local out = {state, requests, touch and 1 or 0}
""".replace("SESSION_TTL", str(SESSION_CACHE_TTL))


def session_check_with(part: str) -> RawScript:
    """The session check followed by `part`, Lua that reads its keys from KEYS[4] on, its
    arguments from ARGV[2] on, and leaves its answers in `out` from out[4] on."""
    return RawScript(_SESSION_PART + part + "\nreturn out\n")


_session_check = session_check_with("")


@dataclass(frozen=True, slots=True)
class CheckPart:
    """More to do in the session check's Redis round trip, for one request (bff/cache.py: a cached
    screen's check): `script` is session_check_with(its Lua), `keys` and `args` its own, and `then`,
    if any, turns its answers (out[4:]) into its result, with more round trips where it must (keys
    on other slots of a Redis Cluster than the session's)."""

    script: RawScript
    keys: list[str]
    args: tuple = ()
    then: Callable[[list], Awaitable[object]] | None = None


def _session_key(session_id: uuid.UUID) -> str:
    return f"sess:{tag(session_id)}"


def _touch_key(session_id: uuid.UUID) -> str:
    return f"touch:{tag(session_id)}"


async def authenticate(rt: Runtime, session: Callable[[], AsyncSession], access_token: str) -> ResidentPrincipal:
    """The session behind an access token, if it is alive. `session` gives the request's database
    session, asked for only when the database is needed (a session state Redis forgot, the
    activity stamps)."""
    principal, _ = await authenticate_with(rt, session, access_token)
    return principal


async def authenticate_with(rt: Runtime, session: Callable[[], AsyncSession], access_token: str,
                            part: Callable[[uuid.UUID, uuid.UUID], CheckPart] | None = None,
                            ) -> tuple[ResidentPrincipal, object | None]:
    """`authenticate`, with the CheckPart `part` gives (from the session and account ids) run in
    the same round trip; its result beside the principal (its answers, or what its `then` made of
    them), None when Redis is away."""
    claims = rt.tokens.verify(access_token, "access")
    try:
        session_id = uuid.UUID(claims["sid"])
        account_id = uuid.UUID(claims["sub"])
    except (KeyError, ValueError):
        raise NotAuthenticated("Токен недействителен", code=TokenCode.INVALID_TOKEN) from None
    principal = ResidentPrincipal(account_id=account_id, session_id=session_id, app_id=str(claims.get("app", "")))
    # One Redis round trip: the session's cached state, the request-rate counter, the touch mark
    # and the part's work.
    rule = ratelimit.Limit("app_requests", rt.settings.app_requests_per_minute, 60, code=AuthCode.APP_REQUESTS_LIMITED)
    rate_key, window_ends = ratelimit.window(rt, rule, str(session_id))
    extra = part(session_id, account_id) if part is not None else None
    keys = [_session_key(session_id), rate_key, _touch_key(session_id)]
    script, args = _session_check, (TOUCH_INTERVAL,)
    if extra is not None:
        script, keys, args = extra.script, keys + extra.keys, (TOUCH_INTERVAL, *extra.args)
    try:
        state, requests, touch, *fetched = await rt.redis_breaker.run(lambda: script(rt.redis, keys, *args))
    except DependencyDown:
        # Redis away: the database decides, the rate is counted in the process, the part has no
        # result.
        ratelimit.check(rt, rule, ratelimit.count_locally(rt, rate_key, 1, 120), window_ends)
        await _check_in_database(rt, session(), session_id, account_id)
        return principal, None
    if state is None or state == ENDING:
        state = await _session_state(rt, session, session_id, state)
    if state != ALIVE:
        raise NotAuthenticated("Сессия завершена", code=AuthCode.SESSION_INACTIVE)
    ratelimit.check(rt, rule, requests, window_ends)
    if touch and rt.db_breaker.attempt():
        db = session()
        try:
            alive = await _touch(rt, db, session_id, account_id)
        except Exception as exc:
            if not database_down(exc):
                rt.db_breaker.succeeded()  # it answered
                raise
            # PostgreSQL away: the stamps wait (the next request tries again); what Redis holds
            # (the session's state, a cached screen) still answers.
            rt.db_breaker.failed(exc)
            with contextlib.suppress(Exception):
                await db.rollback()
            with contextlib.suppress(RedisError, DependencyDown):
                await rt.redis_breaker.run(lambda: rt.redis.delete(_touch_key(session_id)))
        else:
            rt.db_breaker.succeeded()
            if not alive:
                with contextlib.suppress(DependencyDown):
                    await rt.redis_breaker.run(
                        lambda: rt.redis.set(_session_key(session_id), DEAD, ex=_marker_ttl(rt)))
                raise NotAuthenticated("Сессия завершена", code=AuthCode.SESSION_INACTIVE)
    elif touch:
        with contextlib.suppress(RedisError, DependencyDown):  # not stamped now: the next request tries
            await rt.redis_breaker.run(lambda: rt.redis.delete(_touch_key(session_id)))
    if extra is None:
        return principal, None
    if extra.then is None:
        return principal, fetched
    try:
        return principal, await rt.redis_breaker.run(lambda: extra.then(fetched))
    except DependencyDown:
        return principal, None


async def _touch(rt: Runtime, db: AsyncSession, session_id: uuid.UUID, account_id: uuid.UUID) -> bool:
    """The activity stamps, once a TOUCH_INTERVAL; False when the session is not alive.
    Activity stamps no screen shows: they leave the cached screens valid. The stamp is also the
    session's check against the database: a session ended or removed some other way than
    deactivate_session stops here."""
    now = rt.clock.now()
    touched = (await db.execute(
        update(DeviceSession).where(DeviceSession.id == session_id, DeviceSession.deactivated_at.is_(None))
        .values(last_activity_at=now)
        .returning(DeviceSession.app_version, DeviceSession.os_notifications_enabled,
                   DeviceSession.notification_types, DeviceSession.app_id),
        execution_options={UNAFFECTED: True})).first()
    if touched is None:
        return False
    await db.execute(update(Account).where(Account.id == account_id).values(last_visit_at=now),
                     execution_options={UNAFFECTED: True})
    # The push monitor counts users who opened the app, per day and app version (PUSH-07).
    await _record_visit(db, account_id, touched[3], touched[0], now,
                        push_enabled=_push_enabled(touched[1], touched[2]))
    return True


async def _check_in_database(rt: Runtime, db: AsyncSession, session_id: uuid.UUID, account_id: uuid.UUID) -> None:
    """The session check while Redis is away: the session row alive, stamped once a TOUCH_INTERVAL."""
    row = (await db.execute(select(DeviceSession.deactivated_at, DeviceSession.last_activity_at)
                            .where(DeviceSession.id == session_id))).first()
    if row is None or row.deactivated_at is not None:
        raise NotAuthenticated("Сессия завершена", code=AuthCode.SESSION_INACTIVE)
    stamped = row.last_activity_at
    if stamped is None or rt.clock.now() - stamped >= timedelta(seconds=TOUCH_INTERVAL):
        if not await _touch(rt, db, session_id, account_id):
            raise NotAuthenticated("Сессия завершена", code=AuthCode.SESSION_INACTIVE)


async def logout(rt: Runtime, db: AsyncSession, principal: ResidentPrincipal) -> None:
    await deactivate_session(rt, db, principal.session_id, reason="logout")
