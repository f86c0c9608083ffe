"""Abuse limits: SMS codes per phone and IP, staff password lockout and per-IP limit, staff
password checks off the event loop, per-session request rate."""

from __future__ import annotations

import asyncio
import threading

import pytest

import core.partners.service
import core.security
from tests.support import ADMIN, bearer, create_partner, expect, login_resident


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
    verify = core.security.verify_password

    def held_verify(password_hash, password):
        started.set()
        release.wait(5)
        return verify(password_hash, password)

    monkeypatch.setattr(core.security, "verify_password", held_verify)
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
    verify = core.security.verify_password

    def counting_verify(password_hash, password):
        checked.append(password)
        return verify(password_hash, password)

    monkeypatch.setattr(core.security, "verify_password", counting_verify)
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
