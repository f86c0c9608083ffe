"""Resident login by SMS code, device sessions, token rotation and revocation."""

from __future__ import annotations

import uuid

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import String, Text, cast, func, select, update
from sqlalchemy.dialects.postgresql import JSONB

from core.auth.service import authenticate, deactivate_session
from core.infra.db import commit
from core.models import Account, Base, DeviceSession, SmsMessage
from core.infra.security import sha256_hex
from tests.support import bearer, device, expect, login_resident

PHONE = "+7 (916) 123-45-67"
E164 = "+79161234567"


async def _otp(http, phone=PHONE) -> str:
    return expect(await http.post("/app/v1/auth/otp", json={"phone": phone}), 200)["debug_code"]


async def _login(http, code, phone=PHONE, **device_extra):
    return await http.post("/app/v1/auth/login", json={"phone": phone, "code": code, "device": device(**device_extra)})


async def test_otp_is_sent_by_sms_and_debug_provider_reveals_it(http, db):
    answer = expect(await http.post("/app/v1/auth/otp", json={"phone": PHONE}), 200)
    assert answer["expires_in"] == 300
    assert len(answer["debug_code"]) == 6
    texts = (await db.scalars(select(SmsMessage.text).where(SmsMessage.phone == E164))).all()
    assert texts == ["Код для входа в приложение: ******"]


async def test_login_code_is_written_to_no_table_and_no_log(http, db, runtime, monkeypatch, caplog):
    """The SMS journal keeps the code masked; Redis keeps only a keyed hash (a plain hash of a
    six-digit code gives it away); no column of any table, no log line holds it, before or after
    the login that uses it."""
    code = "908172"
    monkeypatch.setattr("core.auth.otp.new_code", lambda: code)
    caplog.set_level("DEBUG")
    assert expect(await http.post("/app/v1/auth/otp", json={"phone": PHONE}), 200)["debug_code"] == code
    stored = await runtime.redis.hgetall(f"otp:{{otp}}:{E164}")
    assert stored and not {code, sha256_hex(f"{E164}:{code}")} & set(stored.values())
    expect(await _login(http, code), 200)
    holders = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text, JSONB)):
                found = await db.scalar(select(func.count()).select_from(table).where(
                    cast(column, Text).contains(code)))
                if found:
                    holders.append(f"{table.name}.{column.name}")
    assert holders == []
    assert code not in caplog.text


async def test_push_01_login_creates_account_and_device_session(http, db):
    """Rule: PUSH-01 — every login creates a device session with the device data."""
    tokens = expect(await _login(http, await _otp(http), model="SM-S918B", name="Galaxy S23"), 200)
    account = await db.get(Account, uuid.UUID(tokens["account_id"]))
    assert account.phone == E164 and account.first_login_at is not None
    session = await db.get(DeviceSession, uuid.UUID(tokens["session_id"]))
    assert (session.account_id, session.platform, session.model, session.device_name, session.app_version) == (
        account.id, "android", "SM-S918B", "Galaxy S23", "4.8.0")
    second = expect(await _login(http, await _otp_after_cooldown(http)), 200)
    assert second["account_id"] == tokens["account_id"]
    assert second["session_id"] != tokens["session_id"]


async def _otp_after_cooldown(http, phone=PHONE) -> str:
    http._transport.app.state.runtime.clock.advance(seconds=61)
    return await _otp(http, phone)


async def test_code_is_single_use(http):
    code = await _otp(http)
    expect(await _login(http, code), 200)
    again = await _login(http, code)
    assert again.status_code == 401
    assert again.json()["code"] == "otp_expired"


async def test_code_expires(http, clock):
    code = await _otp(http)
    clock.advance(seconds=301)
    response = await _login(http, code)
    assert response.status_code == 401
    assert response.json()["code"] == "otp_expired"


async def test_code_still_valid_just_before_expiry(http, clock):
    code = await _otp(http)
    clock.advance(seconds=299)
    expect(await _login(http, code), 200)


async def test_wrong_codes_are_limited_and_burn_the_code(http):
    code = await _otp(http)
    wrong = "000000" if code != "000000" else "111111"
    for left in (4, 3, 2, 1):
        response = await _login(http, wrong)
        assert response.status_code == 401
        assert response.json()["detail"] == f"Неверный код. Осталось попыток: {left}"
    fifth = await _login(http, wrong)
    assert fifth.status_code == 429 and fifth.json()["code"] == "otp_attempts_exceeded"
    assert int(fifth.headers["retry-after"]) >= 1
    # Even the right code no longer works: the code is burned.
    assert (await _login(http, code)).status_code in (401, 429)


async def test_new_code_only_after_resend_interval(http, clock):
    await _otp(http)
    too_soon = await http.post("/app/v1/auth/otp", json={"phone": "89161234567"})
    assert too_soon.status_code == 429
    assert too_soon.headers["content-type"].startswith("application/problem+json")
    assert too_soon.headers["retry-after"] == "60"
    clock.advance(seconds=60)
    fresh = await _otp(http)
    expect(await _login(http, fresh), 200)


async def test_refresh_rotates_tokens(http):
    tokens = expect(await _login(http, await _otp(http)), 200)
    rotated = expect(await http.post("/app/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 200)
    assert rotated["refresh_token"] != tokens["refresh_token"]
    assert rotated["session_id"] == tokens["session_id"]
    expect(await http.post("/app/v1/auth/logout", headers=bearer(rotated["access_token"])), 204)


async def test_refresh_token_reuse_kills_the_session(http):
    tokens = expect(await _login(http, await _otp(http)), 200)
    rotated = expect(await http.post("/app/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]}), 200)
    replay = await http.post("/app/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert replay.status_code == 401 and replay.json()["code"] == "refresh_token_reused"
    # Both the thief's and the owner's tokens are dead now.
    dead = await http.post("/app/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    assert dead.status_code == 401
    refused = await http.post("/app/v1/auth/logout", headers=bearer(rotated["access_token"]))
    assert refused.status_code == 401 and refused.json()["code"] == "session_inactive"


async def test_access_token_expires(http, clock):
    tokens = expect(await _login(http, await _otp(http)), 200)
    clock.advance(seconds=901)
    response = await http.post("/app/v1/auth/logout", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401 and response.json()["code"] == "token_expired"


async def test_logout_refuses_the_token_at_once(http):
    tokens = await login_resident(http, PHONE)
    expect(await http.post("/app/v1/auth/logout", headers=bearer(tokens["access_token"])), 204)
    again = await http.post("/app/v1/auth/logout", headers=bearer(tokens["access_token"]))
    assert again.status_code == 401
    refresh = await http.post("/app/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 401


async def test_push_03_deactivated_session_is_refused_at_once(http, runtime):
    """Rule: PUSH-03 — a deactivated session's tokens stop working at once, though the access
    token has not expired and its 'active' state was cached a moment before."""
    tokens = await login_resident(http, PHONE)
    other = await login_resident(http, "+79035550000")
    expect(await http.post("/app/v1/auth/logout", headers=bearer(other["access_token"])), 204)  # warms the cache
    async with runtime.sessionmaker() as db:
        assert await deactivate_session(runtime, db, uuid.UUID(tokens["session_id"]), reason="staff")
        await commit(db)
    response = await http.post("/app/v1/auth/logout", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401 and response.json()["code"] == "session_inactive"


async def test_session_state_survives_a_redis_flush(http, runtime):
    """Redis is a cache for session state: after it loses its data the database decides."""
    tokens = await login_resident(http, PHONE)
    async with runtime.sessionmaker() as db:
        await deactivate_session(runtime, db, uuid.UUID(tokens["session_id"]), reason="staff")
        await commit(db)
    await runtime.redis.flushdb()
    response = await http.post("/app/v1/auth/logout", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401


class _ReadThen:
    """The request's database session, which runs `then` right after the first statement read."""

    def __init__(self, db, then):
        self.db, self.then = db, then

    async def execute(self, *args, **kwargs):
        result = await self.db.execute(*args, **kwargs)
        then, self.then = self.then, None
        if then is not None:
            await then()
        return result


async def test_push_03_a_refill_that_read_before_the_logout_does_not_revive_the_token(http, runtime, db):
    """Rule: PUSH-03 — the session state's refill reads the database (active), the logout commits,
    then the refill writes: the token is refused from the next request on, not 5 minutes later."""
    tokens = await login_resident(http, PHONE)
    session_id = tokens["session_id"]
    await runtime.redis.delete(f"sess:{{{session_id}}}")            # the cached state expired
    await runtime.redis.set(f"touch:{{{session_id}}}", "1", ex=60)  # activity stamped a moment ago

    async def log_out() -> None:
        expect(await http.post("/app/v1/auth/logout", headers=bearer(tokens["access_token"])), 204)

    # The request that started before the logout is let through; what it writes must not outlive it.
    await authenticate(runtime, lambda: _ReadThen(db, log_out), tokens["access_token"])
    response = await http.get("/app/v1/screens/profile", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401 and response.json()["code"] == "session_inactive"


async def test_push_03_logout_whose_redis_write_after_commit_fails_still_kills_the_token(http, runtime,
                                                                                        monkeypatch):
    """Rule: PUSH-03 — Redis misses the "dead" state written after the logout committed (with the
    session's "active" state cached): the token is refused at once all the same."""
    tokens = await login_resident(http, PHONE)
    expect(await http.get("/app/v1/screens/profile", headers=bearer(tokens["access_token"])), 200)
    real_set = runtime.redis.set

    async def set_failing_after_commit(key, value, *args, **kwargs):
        if key == f"sess:{{{tokens['session_id']}}}" and value in ("0", b"0"):
            raise RedisConnectionError("Connection reset by peer")
        return await real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(runtime.redis, "set", set_failing_after_commit)
    logout = await http.post("/app/v1/auth/logout", headers=bearer(tokens["access_token"]))
    monkeypatch.undo()
    response = await http.get("/app/v1/screens/profile", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401 and response.json()["code"] == "session_inactive"
    assert logout.status_code == 204  # the logout itself committed and answered as usual


async def test_push_03_logout_whose_redis_is_down_before_commit_ends_the_session_in_the_database(
        http, runtime, db, clock, monkeypatch):
    """Rule: PUSH-03 — Redis drops the connection when the "ending" state is written before the
    logout commits: the logout still ends the session (the database alone decides while Redis is
    away), and when Redis answers again the ALIVE it still holds is overwritten before it is
    believed."""
    tokens = await login_resident(http, PHONE)
    auth = bearer(tokens["access_token"])
    expect(await http.get("/app/v1/screens/profile", headers=auth), 200)  # ALIVE cached
    real_set = runtime.redis.set

    async def set_failing_before_commit(key, value, *args, **kwargs):
        if key == f"sess:{{{tokens['session_id']}}}" and value in ("2", b"2"):
            raise RedisConnectionError("Connection reset by peer")
        return await real_set(key, value, *args, **kwargs)

    monkeypatch.setattr(runtime.redis, "set", set_failing_before_commit)
    expect(await http.post("/app/v1/auth/logout", headers=auth), 204)
    monkeypatch.undo()
    assert await db.scalar(select(DeviceSession.deactivated_at)
                           .where(DeviceSession.id == uuid.UUID(tokens["session_id"]))) is not None
    assert await runtime.redis.get(f"sess:{{{tokens['session_id']}}}") == "1"  # what Redis still holds
    assert (await http.get("/app/v1/screens/profile", headers=auth)).status_code == 401  # Redis skipped
    clock.advance(seconds=10)  # past the breaker's cool-down: the next request probes Redis
    assert (await http.get("/app/v1/screens/profile", headers=auth)).status_code == 401
    assert await runtime.redis.get(f"sess:{{{tokens['session_id']}}}") == "0"


async def test_push_03_a_session_ended_without_its_cache_renewed_stops_at_the_next_activity_stamp(
        http, runtime, db):
    """Rule: PUSH-03 — a session row ended by a plain statement (no cache write at all) with
    "active" cached: the once-a-minute activity stamp checks the database and refuses it."""
    tokens = await login_resident(http, PHONE)
    expect(await http.get("/app/v1/screens/profile", headers=bearer(tokens["access_token"])), 200)
    await db.execute(update(DeviceSession).where(DeviceSession.id == uuid.UUID(tokens["session_id"]))
                     .values(deactivated_at=runtime.clock.now()))
    await db.commit()
    await runtime.redis.delete(f"touch:{{{tokens['session_id']}}}")  # a minute has passed
    response = await http.get("/app/v1/screens/profile", headers=bearer(tokens["access_token"]))
    assert response.status_code == 401 and response.json()["code"] == "session_inactive"


@pytest.mark.parametrize("header", ["", "Bearer", "Bearer garbage", "Basic abc", "Bearer a.b.c"])
async def test_bad_tokens_are_401_problems(http, header):
    response = await http.post("/app/v1/auth/logout", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_token_signed_with_other_secret_is_refused(http, runtime):
    from core.infra.security import TokenCodec

    forged, _ = TokenCodec(("another-secret-" + "y" * 40,), runtime.clock).issue(
        {"typ": "access", "sub": str(uuid.uuid4()), "sid": str(uuid.uuid4())}, 900)
    assert (await http.post("/app/v1/auth/logout", headers=bearer(forged))).status_code == 401


async def test_signing_key_rotation_keeps_old_tokens_valid(runtime, clock):
    from core.infra.security import TokenCodec

    old = TokenCodec(("old-secret-" + "o" * 40,), clock)
    token, _ = old.issue({"typ": "access", "sub": "a"}, 900)
    rotated = TokenCodec(("new-secret-" + "n" * 40, "old-secret-" + "o" * 40), clock)
    assert rotated.verify(token, "access")["sub"] == "a"


async def test_login_with_unknown_app_id_is_refused(http):
    code = await _otp(http)
    response = await http.post("/app/v1/auth/login", json={"phone": PHONE, "code": code,
                                                             "device": device(app_id="no-such-brand")})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "device.app_id"
