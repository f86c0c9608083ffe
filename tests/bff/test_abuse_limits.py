"""Abuse limits: SMS codes per phone and IP, staff password lockout, per-session request rate."""

from __future__ import annotations

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
