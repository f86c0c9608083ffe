"""STAFF-04: a partner's staff and API keys see nothing of another partner, ever. This walks every
partner-scoped CRM route with the other partner's ids and checks each answer hides them; the
platform admin's routes with one partner's id and another partner's keys, staff and roles; and
every CRM route with a resident's token and with a deactivated staff member's token."""

from __future__ import annotations

import re

import pytest

from tests.crm.estate import link, make_client, partner_with_staff
from tests.crm.walk import (SESSION_ROUTE_PARAMS, call, everything_routes_name, fill_path, multipart_routes, plain,
                            white_label_resident)
from tests.support import ADMIN, api_key_headers, bearer, expect, login_resident

NOT_PARTNER_SCOPED = ("/crm/v1/partners", "/crm/v1/auth", "/crm/v1/me", "/crm/v1/audit")


async def _world(http, staff) -> dict[str, str]:
    ids = await everything_routes_name(
        http, staff, label="Секретный", premise={"number": "77", "street": "Секретная", "house": "13"},
        client={"last_name": "Секретова", "first_name": "Тайна", "phone": "+79167770077",
                "email": "secret@example.com"},
        lead={"phone": "+79167770078", "name": "Секретный лид"}, account_number="SECRET-1", file_name="secret.xml")
    return {**ids, "request_id": ids.pop("lead_id"), "personal_account_id": ids["account_id"]}


def _routes(app, *, scoped: bool = True) -> list[tuple[str, str]]:
    """(path, method) of the partner-scoped CRM routes, or of every CRM route (`scoped=False`)."""
    found = []
    for route in app.routes:
        if not route.path.startswith("/crm/v1") or (scoped and route.path.startswith(NOT_PARTNER_SCOPED)):
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


ADMIN_SCOPED = "/crm/v1/partners/{partner_id:uuid}/"


async def _access_ids(http, partner: str) -> dict[str, str]:
    """The ids of a partner's API key, staff member and role, through the admin's own lists."""
    expect(await http.post(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN, json={"name": "1C"}), 201)
    key = expect(await http.get(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN), 200)["items"][0]
    staff = expect(await http.get(f"/crm/v1/partners/{partner}/staff", headers=ADMIN), 200)["items"][0]
    return {"key_id": key["id"], "staff_id": staff["id"], "role_id": staff["role_id"]}


async def test_staff_04_the_admin_reaches_a_partners_access_only_through_that_partner(http, app):
    """Rule: STAFF-04 — every platform admin route under a partner, called with one partner's id
    and another partner's API key, staff member or role, answers 404 and changes nothing: the
    key still works, the staff member still logs in with the same rights. The admin token opens
    no partner-scoped route (it is nobody's staff)."""
    victim, victim_staff = await partner_with_staff(http, name="УК Жертва")
    intruder = (await partner_with_staff(http, name="УК Чужая"))[0]
    ids = {**await _access_ids(http, victim), "partner_id": intruder}
    victim_key = await api_key_headers(http, victim)
    bodies = {"staff": {"active": False, "role_id": ids["role_id"]}, "roles": {"permissions": []}}
    walked = 0
    for path, method in _routes(app, scoped=False):
        if not path.startswith(ADMIN_SCOPED) or not re.search(r"\{(key|staff|role)_id\b", path):
            continue
        url = fill_path(path, ids, "admin isolation")
        body = bodies.get(path[len(ADMIN_SCOPED):].split("/")[0], {})
        response = await http.request(method, url, headers=ADMIN, json=body if method in ("POST", "PATCH") else None)
        assert response.status_code == 404, (method, path, response.status_code, response.text)
        walked += 1
    assert walked >= 3
    for path, method in _routes(app, scoped=False):
        if path.startswith(ADMIN_SCOPED):
            lists = await http.request(method, fill_path(path, ids, "admin isolation"), headers=ADMIN) \
                if method == "GET" else None
            if lists is not None:
                assert victim not in lists.text and ids["key_id"] not in lists.text, (path, lists.text)
    expect(await http.get("/crm/v1/me", headers=victim_key), 200)
    assert expect(await http.get("/crm/v1/me", headers=victim_staff), 200)["permissions"]
    multipart = multipart_routes(app)
    for path, method in _routes(app):
        response = await call(http, method, fill_path(path, {**ids, **_ANY_IDS}, "admin isolation"), ADMIN,
                              multipart=(method, plain(path)) in multipart, json={"name": "Чужой"})
        assert response.status_code == 401, (method, path, response.status_code)


_ANY_IDS = {name: "00000000-0000-0000-0000-000000000001" for name in (
    "object_id", "premise_id", "client_id", "account_id", "order_id", "document_id", "session_id", "job_id",
    "mailing_id", "request_id", "personal_account_id", "lead_id", "key_id", "staff_id", "role_id", "group_id",
    "quarter_id")}


@pytest.mark.parametrize("who", ["resident", "deactivated_staff"])
async def test_staff_04_no_crm_route_answers_a_resident_or_a_deactivated_staff_member(http, app, who):
    """Rule: STAFF-04 — every CRM route (partner-scoped and platform admin alike), with real ids
    of the partner, refuses a resident's app token of another partner and a staff member of the
    partner deactivated by the admin: 401, and nothing of the partner in the answer."""
    victim, victim_staff = await partner_with_staff(http, name="УК Жертва")
    ids = await _world(http, victim_staff)
    if who == "resident":
        other, other_staff = await partner_with_staff(http, name="УК Соседняя")
        await make_client(http, other_staff, "Соседов", "Семён", "+79167770099")
        headers = bearer((await login_resident(http, "+79167770099"))["access_token"])
    else:
        email = "leaver@example.com"
        role = expect(await http.post(f"/crm/v1/partners/{victim}/roles", headers=ADMIN, json={
            "name": "Все", "permissions": ["premises.edit", "clients.edit", "clients.pii.name",
                                           "clients.pii.contacts"]}), 201)["id"]
        staff_id = expect(await http.post(f"/crm/v1/partners/{victim}/staff", headers=ADMIN, json={
            "email": email, "password": "correct horse battery", "name": "Уходящий", "role_id": role}), 201)["id"]
        token = expect(await http.post("/crm/v1/auth/login", json={"email": email, "password": "correct horse battery"}),
                       200)["access_token"]
        headers = bearer(token)
        expect(await http.get("/crm/v1/me", headers=headers), 200)
        expect(await http.patch(f"/crm/v1/partners/{victim}/staff/{staff_id}", headers=ADMIN,
                                json={"active": False}), 200)
    ids = {**ids, **await _access_ids(http, victim), "partner_id": victim}
    multipart = multipart_routes(app)
    walked = 0
    for path, method in _routes(app, scoped=False):
        if path.startswith("/crm/v1/auth"):
            continue
        url = fill_path(path, {**_ANY_IDS, **ids}, "resident isolation")
        response = await call(http, method, url, headers, multipart=(method, plain(path)) in multipart,
                              json={"name": "Чужой"})
        assert response.status_code == 401, (who, method, path, response.status_code, response.text)
        assert "Секрет" not in response.text and ids["client_id"] not in response.text, (method, path)
        walked += 1
    assert walked >= 40

async def _victims_view(http, victim) -> tuple:
    sessions = expect(await http.get(f"/crm/v1/clients/{victim['client_id']}/sessions", headers=victim["staff"]),
                      200)["items"]
    deliveries = expect(await http.get("/crm/v1/push/deliveries", headers=victim["staff"],
                                       params={"client_id": victim["client_id"]}), 200)["items"]
    return sorted(s["session_id"] for s in sessions), sorted((d["id"], d["status"]) for d in deliveries)


async def _walk_session_routes(http, app, headers, ids: dict, foreign: list[str], secrets: list[str]) -> None:
    """Every route taking a session, device or delivery id, with each `foreign` id: 404. Every
    GET route with the intruder's own ids (and `?client_id=` its own card): none of `secrets`."""
    walked = 0
    for path, method in _routes(app):
        if not SESSION_ROUTE_PARAMS.search(path):
            continue
        for foreign_id in foreign:
            url = fill_path(path, {**ids, "session_id": foreign_id, "device_id": foreign_id,
                                   "delivery_id": foreign_id}, "session isolation")
            response = await http.request(method, url, headers=headers,
                                          json={} if method in ("POST", "PATCH", "PUT") else None)
            walked += 1
            assert response.status_code == 404, (method, path, foreign_id, response.status_code, response.text)
    assert walked >= len(foreign)
    for path, method in _routes(app):
        if method != "GET" or SESSION_ROUTE_PARAMS.search(path):
            continue
        response = await http.get(fill_path(path, ids, "session isolation"), headers=headers,
                                  params={"client_id": ids["client_id"]})
        assert response.status_code < 500, (path, response.text)
        for secret in secrets:
            assert secret not in response.text, (path, secret)


@pytest.mark.parametrize("actor", ["staff", "api_key"])
async def test_staff_04_session_routes_refuse_another_partners_resident_even_under_the_same_phone(
        http, app, runtime, actor):
    """Rule: STAFF-04, PUSH-03 — every route taking a session, device or delivery id answers 404
    for the sessions and deliveries of another partner's resident, also when the intruder holds
    a card with that resident's phone: the white-label app's always, the unified app's until the
    account has a premise of the intruder; no read route of the intruder shows them under its own
    card's id; nothing of the victim's changes."""
    victim = await white_label_resident(http, runtime, label="Секретный", phone="+79167770177")
    before = await _victims_view(http, victim)
    intruder_partner, intruder_staff = await partner_with_staff(http, name="УК Чужая")
    ids = await everything_routes_name(
        http, intruder_staff, label="Свой", client={"last_name": "Своя", "first_name": "Анна", "phone": "+79167770178"},
        lead={"phone": "+79167770179", "name": "Свой лид"}, account_number="OWN-1", file_name="own.xml")
    ids = {**ids, "request_id": ids.pop("lead_id"), "personal_account_id": ids["account_id"]}
    # The cross-partner same-phone case: the intruder's own card with the victim's phone.
    ids["client_id"] = await make_client(http, intruder_staff, "Тайнова", "Тайна", victim["phone"])
    headers = intruder_staff if actor == "staff" else await api_key_headers(http, intruder_partner)
    white_label, unified = victim["sessions"][victim["slug"]], victim["sessions"]["domiland"]
    news = ("Новости Секретный", "token-Секретный", *victim["delivery_ids"])
    await _walk_session_routes(
        http, app, headers, ids, [white_label["session_id"], unified["session_id"], *victim["delivery_ids"]],
        [white_label["session_id"], unified["session_id"], "Телефон Секретный", "Модель Секретный", *news])
    card = expect(await http.get(f"/crm/v1/clients/{ids['client_id']}", headers=intruder_staff), 200)
    assert card["has_logged_in"] is False and card["last_visit_at"] is None and card["app_name"] is None

    # Once the account has a premise of the intruder, the unified app's session is the
    # intruder's to see too; the white-label one and the victim's pushes never are.
    await link(http, intruder_staff, ids["premise_id"], ids["client_id"], role="owner")
    await _walk_session_routes(
        http, app, headers, ids, [white_label["session_id"], *victim["delivery_ids"]],
        [white_label["session_id"], f"Телефон Секретный {victim['slug']}", f"Модель Секретный {victim['slug']}", *news])

    assert await _victims_view(http, victim) == before
    for login in victim["sessions"].values():
        assert (await http.put("/app/v1/device", json={}, headers=bearer(login["access_token"]))).status_code == 200

READ_SIDE_LISTS = [("/crm/v1/orders", "GET"), ("/crm/v1/orders/{order_id:str}", "GET"), ("/crm/v1/mailings", "GET"),
                   ("/crm/v1/mailings/{mailing_id:str}", "GET"), ("/crm/v1/import/jobs", "GET"),
                   ("/crm/v1/import/jobs/{job_id:str}", "GET")]


@pytest.mark.no_db
def test_staff_04_the_read_side_lists_are_among_the_walked_routes(app):
    """Rule: STAFF-04 — the orders inbox, mailings and import jobs are partner-scoped routes the walk above visits."""
    walked = set(_routes(app))
    assert [route for route in READ_SIDE_LISTS if route not in walked] == []
