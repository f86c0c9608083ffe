"""Abuse limits: SMS codes per phone and IP, the platform's SMS budget and countries, code checks
per code and IP (nobody can lock a resident out), staff password lockout and per-IP limit, staff
password checks off the event loop, per-session request rate."""

from __future__ import annotations

import asyncio
import threading

import pytest

import core.partners.service
import core.infra.security
from core.errors import ServiceUnavailable
from core.infra.sms import SmsCode
from tests.support import ADMIN, bearer, create_partner, device, expect, login_resident


async def test_sms_codes_per_phone_are_limited(http, clock):
    for _ in range(5):
        expect(await http.post("/app/v1/auth/otp", json={"phone": "+79161234567"}), 200)
        clock.advance(seconds=61)
    refused = await http.post("/app/v1/auth/otp", json={"phone": "+79161234567"})
    assert refused.status_code == 429 and refused.json()["code"] == "otp_phone_limited"
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    expect(await http.post("/app/v1/auth/otp", json={"phone": "+79161234568"}), 200)
    clock.advance(hours=1)
    expect(await http.post("/app/v1/auth/otp", json={"phone": "+79161234567"}), 200)


async def test_sms_codes_per_ip_are_limited(http, limits):
    limits(otp_per_ip_hour=3)
    for n in range(3):
        expect(await http.post("/app/v1/auth/otp", json={"phone": f"+7916123456{n}"}), 200)
    refused = await http.post("/app/v1/auth/otp", json={"phone": "+79161234569"})
    assert refused.status_code == 429 and refused.json()["code"] == "otp_ip_limited"


async def test_staff_password_lockout(http, clock):
    partner = await create_partner(http)
    role = expect(await http.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN,
                                  json={"name": "R", "permissions": []}), 201)["id"]
    expect(await http.post(f"/crm/v1/partners/{partner}/staff", headers=ADMIN, json={
        "email": "lock@example.com", "password": "right-password", "name": "A", "role_id": role}), 201)
    for _ in range(5):
        wrong = await http.post("/crm/v1/auth/login", json={"email": "lock@example.com", "password": "wrong-one"})
        assert wrong.status_code == 401
    locked = await http.post("/crm/v1/auth/login", json={"email": "lock@example.com", "password": "right-password"})
    assert locked.status_code == 429 and locked.json()["code"] == "staff_login_locked"
    assert "Повторите через" in locked.json()["detail"] and int(locked.headers["retry-after"]) > 0
    clock.advance(minutes=15)
    expect(await http.post("/crm/v1/auth/login", json={"email": "lock@example.com", "password": "right-password"}), 200)


async def test_app_requests_per_session_are_limited(http, limits, clock):
    limits(app_requests_per_minute=3)
    tokens = await login_resident(http, "+79161234568")
    for _ in range(3):
        expect(await http.put("/app/v1/device", headers=bearer(tokens["access_token"]), json={}), 200)
    refused = await http.put("/app/v1/device", headers=bearer(tokens["access_token"]), json={})
    assert refused.status_code == 429 and refused.json()["code"] == "app_requests_limited"
    assert int(refused.headers["retry-after"]) <= 60
    clock.advance(minutes=1)
    expect(await http.put("/app/v1/device", headers=bearer(tokens["access_token"]), json={}), 200)


async def _staff(http, email: str, password: str = "right-password") -> None:
    partner = await create_partner(http)
    role = expect(await http.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN,
                                  json={"name": "R", "permissions": []}), 201)["id"]
    expect(await http.post(f"/crm/v1/partners/{partner}/staff", headers=ADMIN, json={
        "email": email, "password": password, "name": "A", "role_id": role}), 201)


async def test_a_staff_password_check_leaves_the_service_answering(http, monkeypatch):
    """argon2 takes ~0.2 s of CPU: while a staff password is being checked, other requests are
    answered (the check runs off the event loop)."""
    await _staff(http, "slow@example.com")
    started, release = threading.Event(), threading.Event()
    verify = core.infra.security.verify_password

    def held_verify(password_hash, password):
        started.set()
        release.wait(5)
        return verify(password_hash, password)

    monkeypatch.setattr(core.infra.security, "verify_password", held_verify)
    monkeypatch.setattr(core.partners.service, "verify_password", held_verify, raising=False)
    login = asyncio.create_task(http.post("/crm/v1/auth/login", json={"email": "slow@example.com",
                                                                       "password": "right-password"}))
    try:
        assert await asyncio.to_thread(started.wait, 5)
        expect(await http.get("/health"), 200)
        assert not login.done()
    finally:
        release.set()
    expect(await login, 200)


@pytest.mark.committed
async def test_parallel_wrong_passwords_cannot_pass_the_lockout(http, limits, monkeypatch):
    """Five wrong passwords sent at once (each request on a connection of its own): only
    STAFF_LOGIN_FAILURES of them are checked, the others are refused before any check, and the
    right password is locked out too."""
    limits(staff_login_failures=2)
    await _staff(http, "flood@example.com")
    checked = []
    verify = core.infra.security.verify_password

    def counting_verify(password_hash, password):
        checked.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(core.infra.security, "verify_password", counting_verify)
    monkeypatch.setattr(core.partners.service, "verify_password", counting_verify, raising=False)
    answers = await asyncio.gather(*(http.post("/crm/v1/auth/login", json={
        "email": "flood@example.com", "password": f"guess-{n}"}) for n in range(5)))
    assert sorted(a.status_code for a in answers) == [401] * 2 + [429] * 3
    assert len(checked) == 2
    locked = await http.post("/crm/v1/auth/login", json={"email": "flood@example.com", "password": "right-password"})
    assert locked.status_code == 429 and locked.json()["code"] == "staff_login_locked"


async def test_staff_logins_are_limited_per_client_address(http, limits):
    limits(staff_login_per_ip_hour=3, trusted_proxies=("127.0.0.1",))
    await _staff(http, "office@example.com")
    office, elsewhere = {"X-Forwarded-For": "198.51.100.1"}, {"X-Forwarded-For": "198.51.100.2"}
    # A success gives its count back: an office of many staff is not refused for logging in.
    for _ in range(4):
        expect(await http.post("/crm/v1/auth/login", headers=office,
                               json={"email": "office@example.com", "password": "right-password"}), 200)
    for n in range(3):
        wrong = await http.post("/crm/v1/auth/login", headers=office,
                                json={"email": f"nobody{n}@example.com", "password": "guess"})
        assert wrong.status_code == 401
    refused = await http.post("/crm/v1/auth/login", headers=office,
                              json={"email": "office@example.com", "password": "right-password"})
    assert refused.status_code == 429 and refused.json()["code"] == "staff_login_ip_limited"
    assert int(refused.headers["retry-after"]) <= 3600
    expect(await http.post("/crm/v1/auth/login", headers=elsewhere,
                           json={"email": "office@example.com", "password": "right-password"}), 200)


async def _login(http, phone: str, code: str, forwarded: str | None = None):
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return await http.post("/app/v1/auth/login", headers=headers,
                           json={"phone": phone, "code": code, "device": device()})


async def _code(http, phone: str, forwarded: str | None = None) -> str:
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    return expect(await http.post("/app/v1/auth/otp", headers=headers, json={"phone": phone}), 200)["debug_code"]


async def test_bogus_logins_never_lock_a_phone_out(http):
    """25 logins with made-up codes for someone else's phone (21 locked it for an hour before):
    its owner then asks for a code and logs in."""
    for n in range(25):
        bogus = await _login(http, "+79161234567", f"{n:06d}")
        assert bogus.status_code == 401 and bogus.json()["code"] == "otp_expired"
    expect(await _login(http, "+79161234567", await _code(http, "+79161234567")), 200)


async def test_burned_code_is_replaced_at_once(http):
    """Five wrong guesses burn the code that was issued, not the phone: the next request gets a
    fresh code at once (no resend wait), and it logs in."""
    code = await _code(http, "+79161234567")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        assert (await _login(http, "+79161234567", wrong)).status_code == 401
    burned = await _login(http, "+79161234567", wrong)
    assert burned.status_code == 429 and burned.json()["code"] == "otp_attempts_exceeded"
    expect(await _login(http, "+79161234567", await _code(http, "+79161234567")), 200)


async def test_quick_code_requests_do_not_use_up_the_phone_quota(http, clock):
    """Six quick code requests (one sent, five refused as too soon) blocked the phone's codes for
    an hour before: only codes actually sent count against OTP_PER_PHONE_HOUR."""
    expect(await http.post("/app/v1/auth/otp", json={"phone": "+79161234567"}), 200)
    for _ in range(5):
        too_soon = await http.post("/app/v1/auth/otp", json={"phone": "+79161234567"})
        assert too_soon.status_code == 429 and too_soon.json()["code"] == "otp_too_soon"
    clock.advance(seconds=61)
    expect(await _login(http, "+79161234567", await _code(http, "+79161234567")), 200)


async def test_wrong_codes_per_phone_burn_codes_but_never_refuse_the_right_one(http, limits):
    """LOGIN_PER_PHONE_HOUR bounds guesses per phone over all its codes: past it a wrong code
    burns the phone's code at once, and the right code of a fresh one still logs in."""
    limits(login_per_phone_hour=3)
    code = await _code(http, "+79161234567")
    wrong = "000000" if code != "000000" else "111111"
    assert (await _login(http, "+79161234567", wrong)).status_code == 401
    assert (await _login(http, "+79161234567", wrong)).status_code == 401
    third = await _login(http, "+79161234567", wrong)
    assert third.status_code == 429 and third.json()["code"] == "otp_attempts_exceeded"
    expect(await _login(http, "+79161234567", await _code(http, "+79161234567")), 200)


async def test_login_attempts_are_limited_per_client_address(http, limits):
    limits(login_per_ip_hour=3, trusted_proxies=("127.0.0.1",))
    code = await _code(http, "+79161234567", "198.51.100.9")
    for n in range(3):
        assert (await _login(http, "+79161230000", f"{n:06d}", "198.51.100.1")).status_code == 401
    refused = await _login(http, "+79161234567", code, "198.51.100.1")
    assert refused.status_code == 429 and refused.json()["code"] == "login_ip_limited"
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    # The guesser's address is refused, not the phone: its owner logs in from elsewhere.
    expect(await _login(http, "+79161234567", code, "198.51.100.2"), 200)


async def test_the_platform_sms_budget_is_limited(http, limits, clock):
    limits(sms_per_hour=2)
    await _code(http, "+79161230001")
    await _code(http, "+79161230002")
    refused = await http.post("/app/v1/auth/otp", json={"phone": "+79161230003"})
    assert refused.status_code == 503 and refused.json()["code"] == "sms_budget_exhausted"
    assert 0 < int(refused.headers["retry-after"]) <= 3600
    assert (await http.post("/app/v1/auth/otp", json={"phone": "+79161230001"})).status_code in (429, 503)
    clock.advance(hours=1)
    expect(await _login(http, "+79161230003", await _code(http, "+79161230003")), 200)


@pytest.mark.parametrize(("phone", "status"), [
    ("+79161234567", 200),       # Russia
    ("+7 701 123 45 67", 200),   # Kazakhstan, +7 too
    ("+375 29 123-45-67", 200),  # Belarus
    ("+1 202 555 0143", 422),    # the United States
    ("+44 7400 123456", 422),    # the United Kingdom
    ("+882 16 5412 3456", 422),  # an international network, a pumping favourite
])
async def test_codes_go_only_to_the_countries_served(http, phone, status):
    answer = await http.post("/app/v1/auth/otp", json={"phone": phone})
    assert answer.status_code == status, answer.text
    if status == 422:
        assert answer.json()["code"] == "sms_country_not_served"
        assert answer.headers["content-type"].startswith("application/problem+json")


async def test_any_country_when_sms_countries_is_a_star(http, limits):
    limits(sms_countries=("*",))
    expect(await http.post("/app/v1/auth/otp", json={"phone": "+1 202 555 0143"}), 200)


async def test_a_code_that_could_not_be_sent_is_not_counted(http, runtime, limits, monkeypatch):
    limits(otp_per_phone_hour=1, sms_per_hour=1)

    async def failing(db, phone, text, **_):
        raise ServiceUnavailable("Не удалось отправить SMS, попробуйте позже", code=SmsCode.SMS_UNAVAILABLE)

    with monkeypatch.context() as patch:
        patch.setattr(runtime.sms, "send", failing)
        assert (await http.post("/app/v1/auth/otp", json={"phone": "+79161234567"})).status_code == 503
    expect(await _login(http, "+79161234567", await _code(http, "+79161234567")), 200)
