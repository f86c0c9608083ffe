"""Building a partner's estate through the CRM API."""

from __future__ import annotations

import itertools

from tests.support import create_partner, expect, staff_headers

_phones = itertools.count(1000)


def next_phone() -> str:
    return f"+7916{next(_phones):07d}"


async def make_object(http, staff, name: str = "ЖК Солнечный", **extra) -> str:
    body = {"name": name, "address": "г. Москва, ул. Ленина, 5", **extra}
    return expect(await http.post("/crm/v1/objects", headers=staff, json=body), 201)["id"]


async def make_premise(http, staff, object_id: str, number: str = "12", *, street: str = "Ленина", house: str = "5",
                       type: str = "apartment", **extra) -> str:
    body = {"object_id": object_id, "type": type, "street": street, "house": house, "number": number, **extra}
    return expect(await http.post("/crm/v1/premises", headers=staff, json=body), 201)["id"]


async def make_client(http, staff, last_name: str = "Иванова", first_name: str = "Анна", phone: str | None = None,
                      **extra) -> str:
    body = {"last_name": last_name, "first_name": first_name, "phone": phone or next_phone(), **extra}
    return expect(await http.post("/crm/v1/clients", headers=staff, json=body), 201)["id"]


async def link(http, staff, premise_id: str, client_id: str, role: str = "owner", **extra) -> dict:
    body = {"client_id": client_id, "role": role, **extra}
    return expect(await http.post(f"/crm/v1/premises/{premise_id}/clients", headers=staff, json=body), 201)


async def partner_with_staff(http, permissions: list[str] | None = None, **partner) -> tuple[str, dict]:
    partner_id = await create_partner(http, **partner)
    return partner_id, await staff_headers(http, partner_id, permissions)
