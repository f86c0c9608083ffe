"""STAFF-04: a partner's staff and API keys see nothing of another partner, ever. This walks every
partner-scoped CRM route with the other partner's ids and checks each answer hides them."""

from __future__ import annotations

import re

import pytest

from tests.crm.estate import partner_with_staff
from tests.crm.walk import everything_routes_name, fill_path
from tests.support import api_key_headers, expect

NOT_PARTNER_SCOPED = ("/crm/v1/partners", "/crm/v1/auth", "/crm/v1/me")


async def _world(http, staff) -> dict[str, str]:
    ids = await everything_routes_name(
        http, staff, label="Секретный", premise={"number": "77", "street": "Секретная", "house": "13"},
        client={"last_name": "Секретова", "first_name": "Тайна", "phone": "+79167770077",
                "email": "secret@example.com"},
        lead={"phone": "+79167770078", "name": "Секретный лид"}, account_number="SECRET-1", file_name="secret.xml")
    return {**ids, "request_id": ids.pop("lead_id"), "personal_account_id": ids["account_id"]}


def _routes(app) -> list[tuple[str, str]]:
    found = []
    for route in app.routes:
        if not route.path.startswith("/crm/v1") or route.path.startswith(NOT_PARTNER_SCOPED):
            continue
        for method in sorted(getattr(route, "methods", ())):
            if method not in ("HEAD", "OPTIONS"):
                found.append((route.path, method))
    return found


@pytest.mark.parametrize("actor", ["staff", "api_key"])
async def test_staff_04_every_route_hides_another_partners_data(http, app, actor):
    """Rule: STAFF-04 — another partner's ids answer 404 (in paths) or a refusal (in bodies); no
    value of the other partner appears in any answer; nothing of theirs changes."""
    _, victim_staff = await partner_with_staff(http, name="УК Жертва")
    ids = await _world(http, victim_staff)
    before = {key: expect(await http.get(f"/crm/v1/{kind}/{ids[key]}", headers=victim_staff), 200)
              for key, kind in (("premise_id", "premises"), ("client_id", "clients"), ("object_id", "objects"))}
    intruder_partner, intruder_staff = await partner_with_staff(http, name="УК Чужая")
    headers = intruder_staff if actor == "staff" else await api_key_headers(http, intruder_partner)
    secrets = ("Секретова", "Тайна", "9167770077", "secret@example.com", "SECRET-1", "ЖК Секретный", "Заявка Секретный",
               "Акт Секретный", "Рассылка Секретный", "secret.xml", "Секретный лид", "9167770078", *ids.values())
    body = {**ids, "type": "apartment", "street": "Ленина", "house": "1", "number": "1", "name": "Чужой",
            "address": "ул. 1", "role": "owner", "title": "Заявка", "status": "waiting", "kind": "requests",
            "period": "2026-10-01", "amount_due": "10.00", "body": "Текст", "first_name": "Анна", "phone": "+79160000000"}
    walked = 0
    for path, method in _routes(app):
        url = fill_path(path, ids, "isolation")
        response = await http.request(method, url, headers=headers, json=body if method in ("POST", "PATCH", "PUT")
                                       else None)
        walked += 1
        has_path_id = re.search(r"\{\w+_id\b", path) is not None
        if has_path_id:
            assert response.status_code in (400, 404, 422), (method, path, response.status_code, response.text)
            if method in ("GET", "DELETE"):
                assert response.status_code == 404, (method, path, response.status_code, response.text)
        else:
            assert response.status_code < 500, (method, path, response.text)
        for secret in secrets:
            assert secret not in response.text, (method, path, secret)
    assert walked >= 15
    for key, kind in (("premise_id", "premises"), ("client_id", "clients"), ("object_id", "objects")):
        after = expect(await http.get(f"/crm/v1/{kind}/{ids[key]}", headers=victim_staff), 200)
        assert after == before[key], kind


READ_SIDE_LISTS = [("/crm/v1/orders", "GET"), ("/crm/v1/orders/{order_id:str}", "GET"), ("/crm/v1/mailings", "GET"),
                   ("/crm/v1/mailings/{mailing_id:str}", "GET"), ("/crm/v1/import/jobs", "GET"),
                   ("/crm/v1/import/jobs/{job_id:str}", "GET")]


@pytest.mark.no_db
def test_staff_04_the_read_side_lists_are_among_the_walked_routes(app):
    """Rule: STAFF-04 — the orders inbox, mailings and import jobs are partner-scoped routes the walk above visits."""
    walked = set(_routes(app))
    assert [route for route in READ_SIDE_LISTS if route not in walked] == []
