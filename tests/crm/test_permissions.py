"""Staff permissions (SPEC section 7), walked over the routes the app actually serves: every route
that declares a permission refuses a staff member whose role lacks exactly that one and changes
nothing; every read answer hides the personal data a role may not see.

The routes come from the app (`opt={"permission": ...}` on the handlers, enforced by
web.deps.provide_partner); the table below is what they must be, so a route that loses its
permission, or gains one nobody reviewed, fails the first test here."""

from __future__ import annotations

import io
import uuid

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from core.imports.jobs import run_import_jobs
from core.models import Base, RegistrationRequest
from tests.crm.estate import partner_with_staff
from tests.crm.walk import everything_routes_name, fill_path
from tests.crm.walk import handlers as _handlers
from tests.crm.walk import takes_files as _takes_files
from tests.support import ALL_PERMISSIONS, expect, staff_headers

# (method, path) -> the permission the route needs.
PERMISSION_OF: dict[tuple[str, str], str] = {
    ("POST", "/crm/v1/object-groups"): "premises.edit",
    ("POST", "/crm/v1/quarters"): "premises.edit",
    ("POST", "/crm/v1/objects"): "premises.edit",
    ("PATCH", "/crm/v1/objects/{object_id}"): "premises.edit",
    ("DELETE", "/crm/v1/objects/{object_id}"): "premises.edit",
    ("POST", "/crm/v1/premises"): "premises.edit",
    ("PATCH", "/crm/v1/premises/{premise_id}"): "premises.edit",
    ("DELETE", "/crm/v1/premises/{premise_id}"): "premises.edit",
    ("POST", "/crm/v1/premises/{premise_id}/clients"): "premises.edit",
    ("PATCH", "/crm/v1/premises/{premise_id}/clients/{client_id}"): "premises.edit",
    ("DELETE", "/crm/v1/premises/{premise_id}/clients/{client_id}"): "premises.edit",
    ("POST", "/crm/v1/premises/{premise_id}/accounts"): "premises.edit",
    ("PATCH", "/crm/v1/accounts/{account_id}"): "premises.edit",
    ("DELETE", "/crm/v1/accounts/{account_id}"): "premises.edit",
    ("POST", "/crm/v1/premises/{premise_id}/documents"): "premises.edit",
    ("PATCH", "/crm/v1/documents/{document_id}"): "premises.edit",
    ("DELETE", "/crm/v1/documents/{document_id}"): "premises.edit",
    ("POST", "/crm/v1/bills"): "premises.edit",
    ("POST", "/crm/v1/insurance"): "premises.edit",
    ("POST", "/crm/v1/lots"): "premises.edit",
    ("POST", "/crm/v1/meters"): "premises.edit",
    ("POST", "/crm/v1/meter-readings"): "premises.edit",
    ("POST", "/crm/v1/clients"): "clients.edit",
    ("PATCH", "/crm/v1/clients/{client_id}"): "clients.edit",
    ("POST", "/crm/v1/clients/{client_id}/merge"): "clients.edit",
    ("POST", "/crm/v1/import/clients"): "clients.edit",
    ("POST", "/crm/v1/leads"): "clients.edit",
    # Orders reach the client's phone (a push, the My Orders badge): client work.
    ("POST", "/crm/v1/orders"): "clients.edit",
    ("PATCH", "/crm/v1/orders/{order_id}"): "clients.edit",
    ("GET", "/crm/v1/clients/{client_id}/activity"): "clients.activity",
    ("GET", "/crm/v1/premises/{premise_id}/activity"): "clients.activity",
    ("GET", "/crm/v1/export/clients"): "reports.clients",
    ("GET", "/crm/v1/registration-requests"): "reports.registration_requests",
    ("POST", "/crm/v1/registration-requests/{request_id}/approve"): "reports.registration_requests",
    ("POST", "/crm/v1/registration-requests/{request_id}/reject"): "reports.registration_requests",
    ("GET", "/crm/v1/clients/{client_id}/sessions"): "sessions.manage",
    ("DELETE", "/crm/v1/sessions/{session_id}"): "sessions.manage",
    ("POST", "/crm/v1/mailings"): "mailings.send",
    ("POST", "/crm/v1/notifications"): "mailings.send",
}
# Import routes open without `clients.edit` (STAFF-01: premises are imported without any
# permission) whose client part needs it: each item's clients are refused with
# `permission_required` and no client, phone, external id or link changes.
CLIENT_PARTS = {("POST", "/crm/v1/import/premises"), ("POST", "/crm/v1/import/{kind}/file")}
CLIENT_TABLES = ("client", "client_external_id", "client_phone_history", "premise_link", "account")
PII = ("clients.pii.name", "clients.pii.contacts")
# Not read by any route's opt: the personal-data pair masks answers (STAFF-02), tags are checked
# inside the client edit (STAFF-03).
NOT_ROUTE_PERMISSIONS = {*PII, "clients.tags.edit"}
EXCEL_PREMISES = [("GET", "/crm/v1/export/premises"), ("GET", "/crm/v1/import/{kind}/template"),
                  ("POST", "/crm/v1/import/{kind}/file")]
UPLOAD_FORM = {"name": "Новый акт", "description": "", "date": "2026-01-02"}
NOT_PARTNER_SCOPED = ("/crm/v1/partners", "/crm/v1/auth", "/crm/v1/me", "/crm/v1/audit")

LAST, FIRST, MIDDLE = "Засекреченная", "Евлампия", "Аристарховна"
PHONE, EMAIL = "+79167770077", "evlampia.secret@example.com"
LEAD_PHONE, LEAD_NAME = "+79167770078", "Лидия Потенциальная"
NAMES = (LAST, FIRST, MIDDLE, LEAD_NAME)
CONTACTS = ("9167770077", "916 777", "916) 777", "916-777", EMAIL, "evlampia", "9167770078")


def permission_routes(app) -> dict[tuple[str, str], str]:
    return {(method, path): handler.opt["permission"]
            for method, path, handler in _handlers(app) if handler.opt.get("permission")}


@pytest.mark.no_db
def test_staff_01_every_route_that_needs_a_permission_is_walked(app):
    """Rule: STAFF-01 — the routes that need a permission (section 7), and which one, are exactly
    the reviewed table: a route that lost its permission (or gained one) fails here, and the walk
    below covers every one of them; the premises' Excel import and export need none."""
    assert permission_routes(app) == PERMISSION_OF
    assert set(PERMISSION_OF.values()) == set(ALL_PERMISSIONS) - NOT_ROUTE_PERMISSIONS
    # STAFF-01: the premises' Excel import and export need no `premises.edit`.
    served = {(method, path) for method, path, _ in _handlers(app)}
    for route in EXCEL_PREMISES:
        assert route in served and route not in PERMISSION_OF, route
    # Every import route either needs `clients.edit` itself or has its client part walked below.
    imports = {(method, path) for method, path in served if method == "POST" and path.startswith("/crm/v1/import")}
    assert imports == CLIENT_PARTS | {route for route in PERMISSION_OF if route[1].startswith("/crm/v1/import")}
    assert not CLIENT_PARTS & set(PERMISSION_OF)


async def _world(http, db) -> tuple[str, dict, dict[str, str]]:
    """A partner with everything a route can name, built by a staff member with every permission."""
    partner, staff = await partner_with_staff(http, name="УК Права")
    ids = await everything_routes_name(
        http, staff, label="Проверочный",
        client={"last_name": LAST, "first_name": FIRST, "middle_name": MIDDLE, "phone": PHONE, "email": EMAIL},
        lead={"phone": LEAD_PHONE, "name": LEAD_NAME}, account_number="PERM-1", file_name="premises.xml")
    del ids["lead_id"]
    request = RegistrationRequest(partner_id=uuid.UUID(partner), kind="premise_request", phone=PHONE,
                                  address="ул. Ленина, 5", number="7", role="owner",
                                  details={"last_name": LAST, "first_name": FIRST})
    db.add(request)
    await db.flush()
    ids["request_id"] = str(request.id)
    obj, client = ids["object_id"], ids["client_id"]
    body = {**ids, "object_ids": [obj], "client_ids": [client], "type": "apartment", "street": "Ленина",
            "house": "5", "number": "8", "name": "Новое имя", "address": "ул. Ленина, 5", "role": "owner",
            "title": "Заявка", "status": "waiting", "kind": "requests", "period": "2026-10-01",
            "amount_due": "10.00", "body": "Текст", "channel": "push", "filter": {"client_ids": [client]},
            "first_name": "Анна", "last_name": "Новая", "phone": "+79160000000", "note": "изменено",
            "items": [], "clients": [], "premises": [], "comment": "нет", "reason": "нет"}
    return partner, staff, {**ids, "body": body}


async def _snapshot(db) -> dict[str, str]:
    """Every table's rows, as one digest per table."""
    digests = {}
    for table in Base.metadata.sorted_tables:
        digests[table.name] = await db.scalar(text(
            f'SELECT count(*)::text || \':\' || coalesce(md5(string_agg(t::text, \'|\' ORDER BY t::text)), \'\') '
            f'FROM "{table.name}" AS t'))
    return digests


@pytest.mark.parametrize("permission", sorted(set(PERMISSION_OF.values())))
async def test_staff_01_a_role_without_the_permission_is_refused_and_changes_nothing(http, db, app, runtime,
                                                                                   permission):
    """Rule: STAFF-01 — each route that needs `permission` (section 7) answers a staff member whose
    role has every permission but that one with 403 problem+json `permission_required` naming it,
    with bodies and ids that would otherwise act on the partner's own data; no row of any table
    changes. Without `premises.edit` the premises' Excel export and import still work."""
    partner, _, world = await _world(http, db)
    lacking = await staff_headers(http, partner, [p for p in ALL_PERMISSIONS if p != permission])
    routes = sorted(route for route, needed in permission_routes(app).items() if needed == permission)
    assert routes == sorted(route for route, needed in PERMISSION_OF.items() if needed == permission)
    before = await _snapshot(db)
    multipart = {(method, path) for method, path, handler in _handlers(app) if _takes_files(handler)}
    for method, path in routes:
        url = fill_path(path, world, "permission")
        if (method, path) in multipart:
            response = await http.request(method, url, headers=lacking, data=UPLOAD_FORM,
                                          files={"file": ("new.pdf", b"%PDF-1.4 new", "application/pdf")})
        else:
            json = world["body"] if method in ("POST", "PATCH", "PUT") else None
            response = await http.request(method, url, headers=lacking, json=json)
        assert response.status_code == 403, (method, path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json"), (method, path)
        problem = response.json()
        assert problem["code"] == "permission_required" and problem["status"] == 403, (method, path, problem)
        assert permission in problem["detail"], (method, path, problem)
    assert await _snapshot(db) == before
    if permission == "clients.edit":
        await _import_client_parts_are_refused(http, db, runtime, lacking, world)
    if permission == "premises.edit":
        assert (await http.get("/crm/v1/export/premises", headers=lacking)).status_code == 200
        expect(await http.post("/crm/v1/import/premises/file", headers=lacking,
                               files={"file": ("premises.xml", b"<import/>", "application/xml")}), 202)


async def _import_client_parts_are_refused(http, db, runtime, lacking: dict, world: dict) -> None:
    """STAFF-01: through every route of CLIENT_PARTS, a premise item naming the seeded client (a
    new phone: the hijack) and a new one as owners — by JSON and by file — refuses each client
    with `permission_required` and changes no row about clients or links."""
    before = {name: digest for name, digest in (await _snapshot(db)).items() if name in CLIENT_TABLES}
    clients = [{"external_id": "HIJACK", "phone": "+79160000999", "last_name": "Захватчик", "first_name": "Пётр",
                "role": "owner"}]
    item = {"external_id": "PERM-P", "object_id": world["object_id"], "type": "apartment", "street": "Ленина",
            "house": "5", "number": "99", "clients": clients}
    walked = set()
    for method, path in sorted(CLIENT_PARTS):
        url = fill_path(path, world, "permission")
        if "{kind}" in path:
            attributes = " ".join(f'{k}="{v}"' for k, v in clients[0].items())
            xml = (f'<import><premise external_id="PERM-F" object_id="{world["object_id"]}" type="apartment" '
                   f'street="Ленина" house="5" number="98"><client {attributes}/></premise></import>')
            job = expect(await http.post(url, headers=lacking, files={"file": ("p.xml", xml.encode(),
                                                                               "application/xml")}), 202)
            async with runtime.sessionmaker() as session:
                await run_import_jobs(runtime, session)
            done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=lacking), 200)
            assert done["errors_count"] == 1 and "clients.edit" in done["errors"][0]["message"], done
        else:
            for clients_of_item in (clients, []):
                [result] = expect(await http.request(method, url, headers=lacking, json={
                    "items": [{**item, "clients": clients_of_item}]}), 200)["results"]
                assert result["code"] == "permission_required", result
                assert [c["code"] for c in result.get("clients", [])] == ["permission_required"] * len(clients_of_item)
        walked.add((method, path))
        after = {name: digest for name, digest in (await _snapshot(db)).items() if name in CLIENT_TABLES}
        assert after == before, (method, path)
    assert walked == CLIENT_PARTS


def _answer_text(response) -> str:
    """What an answer shows a person: its text, or every cell of an Excel file."""
    if response.headers.get("content-type", "").startswith(
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(response.content), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return response.text


@pytest.mark.parametrize(("hidden", "secrets"), [
    (PII, NAMES + CONTACTS),
    (("clients.pii.name",), NAMES),
    (("clients.pii.contacts",), CONTACTS),
], ids=["no-pii", "no-names", "no-contacts"])
async def test_staff_02_no_read_route_shows_what_the_role_may_not_see(http, db, app, hidden, secrets):
    """Rule: STAFF-02 — a staff member with every permission but the personal-data ones reads every
    partner-scoped GET route (lists, cards, search by the hidden value, exports, activity,
    sessions, requests) with the partner's own ids: the seeded client's names, phone and e-mail
    appear in no answer, and the card shows them as asterisks."""
    partner, _, world = await _world(http, db)
    reader = await staff_headers(http, partner, [p for p in ALL_PERMISSIONS if p not in hidden])
    searches = {"q": [LAST, FIRST, PHONE, "8 (916) 777-00-77", "9167770077", EMAIL]}
    read, shown = 0, 0
    for method, path, _ in _handlers(app):
        if method != "GET" or not path.startswith("/crm/v1") or path.startswith(NOT_PARTNER_SCOPED):
            continue
        url = fill_path(path, world, "permission")
        queries = [{}] + ([{"q": q} for q in searches["q"]] if "{" not in path else [])
        for params in queries:
            response = await http.get(url, headers=reader, params=params)
            assert response.status_code in (200, 400), (path, params, response.status_code, response.text)
            answer = _answer_text(response)
            for secret in secrets:
                assert secret not in answer, (path, params, secret, answer[:2000])
            read += 1
            shown += response.status_code == 200 and "*" in answer
    assert read >= 20 and shown >= 5, (read, shown)
    card = expect(await http.get(f"/crm/v1/clients/{world['client_id']}", headers=reader), 200)
    if "clients.pii.name" in hidden:
        assert card["last_name"] == "*" * len(LAST) and card["first_name"] == "*" * len(FIRST)
        assert card["middle_name"] == "*" * len(MIDDLE)
    if "clients.pii.contacts" in hidden:
        assert card["phone"] == "*" * len(PHONE) and card["email"] == "*" * len(EMAIL)
    found = expect(await http.get("/crm/v1/clients", headers=reader, params={"q": PHONE}), 200)["items"]
    assert [item["id"] for item in found] == [world["client_id"]]
