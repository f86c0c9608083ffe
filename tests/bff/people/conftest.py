"""People test personas: a partner's premise built over the CRM API, its owner, tenant,
representative and others logged in to the app, and a foreign partner."""

from __future__ import annotations

import itertools

import pytest

from tests.crm.estate import make_client, make_object, make_premise, partner_with_staff
from tests.support import bearer, expect, login_resident

_phones = itertools.count(1)


def new_phone() -> str:
    return f"+7917{next(_phones):07d}"


class Resident:
    def __init__(self, phone: str, client_id: str, headers: dict | None):
        self.phone, self.client_id, self.headers = phone, client_id, headers


class Estate:
    """A partner with staff, one object and helpers to add premises and linked residents."""

    def __init__(self, http):
        self.http = http

    async def setup(self, products: list[str] | None = None, name: str = "УК Уютный дом") -> Estate:
        self.partner_id, self.staff = await partner_with_staff(
            self.http, products=products if products is not None else ["requests"], name=name)
        self.object_id = await make_object(self.http, self.staff)
        self.premise_id = await self.premise("12")
        return self

    async def premise(self, number: str = "12") -> str:
        return await make_premise(self.http, self.staff, self.object_id, number)

    async def person(self, premise_id: str | None = None, role: str = "owner", *, phone: str | None = None,
                     depends_on: str | None = None, login: bool = True, last_name: str = "Иванова",
                     first_name: str = "Анна", **link) -> Resident:
        """A CRM client linked by staff (and logged in to the app unless login=False)."""
        phone = phone or new_phone()
        client_id = await self.client_for(phone, last_name, first_name)
        if premise_id is not None:
            await self.link(premise_id, client_id, role, depends_on=depends_on, **link)
        headers = None
        if login:
            headers = bearer((await login_resident(self.http, phone))["access_token"])
        return Resident(phone, client_id, headers)

    async def client_for(self, phone: str, last_name: str = "Иванова", first_name: str = "Анна") -> str:
        found = expect(await self.http.get("/crm/v1/clients", headers=self.staff, params={"q": phone}), 200)["items"]
        if found:
            return found[0]["id"]
        return await make_client(self.http, self.staff, last_name, first_name, phone=phone)

    async def link(self, premise_id: str, client_id: str, role: str = "owner", *, depends_on: str | None = None,
                   **extra) -> dict:
        body = {"client_id": client_id, "role": role, **extra}
        if depends_on:
            body["depends_on_client_id"] = depends_on
        return expect(await self.http.post(f"/crm/v1/premises/{premise_id}/clients", headers=self.staff,
                                           json=body), 201)


@pytest.fixture
async def estate(http) -> Estate:
    return await Estate(http).setup()


@pytest.fixture
async def events_estate(http) -> Estate:
    return await Estate(http).setup(products=["requests", "events"], name="УК Афиша")


@pytest.fixture
async def owner(estate) -> Resident:
    return await estate.person(estate.premise_id, "owner", last_name="Петров", first_name="Пётр")


@pytest.fixture
async def foreign_partner(http) -> Estate:
    return await Estate(http).setup(name="УК Чужая")


def adult(role: str = "resident", premise_id: str | None = None, **fields) -> dict:
    body = {"role": role, "phone": new_phone(), "last_name": "Сидорова", "first_name": "Мария", **fields}
    if premise_id is not None:
        body["premise_id"] = premise_id
    return body


async def add(http, who: Resident, body: dict, status: int = 201) -> dict:
    return expect(await http.post("/app/v1/people", headers=who.headers, json=body), status)


async def people_screen(http, who: Resident, premise_id: str) -> dict:
    return expect(await http.get("/app/v1/screens/people", headers=who.headers,
                                 params={"premise_id": premise_id}), 200)


def names_by_role(screen: dict) -> dict[str, list[str]]:
    return {g["role"]: [p["name"] for p in g["people"]] for g in screen["groups"]}
