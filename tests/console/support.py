"""Logging into the staff console through its login form, as a browser would."""

from __future__ import annotations

import re

from tests.support import ADMIN, ALL_PERMISSIONS, expect

_seq = iter(range(1, 10**6))
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def forged(token: str) -> str:
    """A CSRF token of the same length that differs from `token` in its first character, always."""
    return ("y" if token[0] == "x" else "x") + token[1:]


async def make_staff(http, partner_id: str, permissions: list[str] | None = None) -> tuple[str, str]:
    """A staff member of the partner with `permissions` (all by default): (email, password)."""
    role = expect(await http.post(f"/crm/v1/partners/{partner_id}/roles", headers=ADMIN, json={
        "name": "Диспетчер", "permissions": ALL_PERMISSIONS if permissions is None else permissions}), 201)["id"]
    email = f"console{next(_seq)}@example.com"
    staff = expect(await http.post(f"/crm/v1/partners/{partner_id}/staff", headers=ADMIN, json={
        "email": email, "password": "correct horse battery", "name": "Мария Соколова", "role_id": role}), 201)
    return email, "correct horse battery", staff["id"]


async def console_login(http, email: str, password: str = "correct horse battery") -> str:
    """Logs in through the form; the client keeps the session cookie. Returns the CSRF token."""
    http.cookies.clear()
    page = await http.get("/console/")
    assert page.status_code == 200, page.text
    answer = await http.post("/console/login", data={"email": email, "password": password,
                                                      "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 303, (answer.status_code, answer.text)
    assert answer.headers["location"] == "/console/premises"
    return csrf_of((await http.get("/console/premises")).text)
