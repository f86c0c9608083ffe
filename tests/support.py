"""Helpers that set the world up through the HTTP API, as a partner and a resident would."""

from __future__ import annotations

import itertools

from httpx import AsyncClient as AsyncTestClient

from tests.conftest import ADMIN_TOKEN

ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
COLORS = {"primary": "#1E88E5", "secondary": "#FFFFFF", "accent": "#FF7043", "background": "#F5F5F5",
          "text": "#212121"}
ALL_PERMISSIONS = [
    "premises.edit", "clients.edit", "clients.pii.name", "clients.pii.contacts", "clients.activity",
    "clients.tags.edit", "reports.clients", "reports.registration_requests", "sessions.manage", "mailings.send",
]
_seq = itertools.count(1)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def expect(response, status: int) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else {}


async def create_partner(http: AsyncTestClient, *, name: str = "УК Уютный дом", kind: str = "management",
                         products: list[str] | None = None) -> str:
    body = {"name": name, "kind": kind, "products": products if products is not None else ["requests"]}
    return expect(await http.post("/crm/v1/partners", json=body, headers=ADMIN), 201)["id"]


async def create_brand(http: AsyncTestClient, partner_id: str, slug: str | None = None) -> dict:
    slug = slug or f"brand-{next(_seq)}"
    body = {"slug": slug, "name": slug.title(), "colors": COLORS, "icon_url": f"https://cdn.example.com/{slug}.png"}
    return expect(await http.post(f"/crm/v1/partners/{partner_id}/brands", json=body, headers=ADMIN), 201)


async def staff_headers(http: AsyncTestClient, partner_id: str, permissions: list[str] | None = None) -> dict:
    role = expect(await http.post(f"/crm/v1/partners/{partner_id}/roles", headers=ADMIN, json={
        "name": "Диспетчер", "permissions": ALL_PERMISSIONS if permissions is None else permissions}), 201)["id"]
    email = f"staff{next(_seq)}@example.com"
    expect(await http.post(f"/crm/v1/partners/{partner_id}/staff", headers=ADMIN, json={
        "email": email, "password": "correct horse battery", "name": "Иван Петров", "role_id": role}), 201)
    token = expect(await http.post("/crm/v1/auth/login", json={"email": email, "password": "correct horse battery"}),
                   200)["access_token"]
    return bearer(token)


async def api_key_headers(http: AsyncTestClient, partner_id: str) -> dict:
    key = expect(await http.post(f"/crm/v1/partners/{partner_id}/api-keys", headers=ADMIN,
                                 json={"name": "1C"}), 201)["key"]
    return bearer(key)


def device(app_id: str = "domiland", **extra) -> dict:
    return {"app_id": app_id, "platform": "android", "model": "Pixel 8", "name": "Pixel", "os_version": "14",
            "app_version": "4.8.0", **extra}


async def login_resident(http: AsyncTestClient, phone: str, *, app_id: str = "domiland", **device_extra) -> dict:
    code = expect(await http.post("/app/v1/auth/otp", json={"phone": phone}), 200)["debug_code"]
    return expect(await http.post("/app/v1/auth/login", json={
        "phone": phone, "code": code, "device": device(app_id, **device_extra)}), 200)
