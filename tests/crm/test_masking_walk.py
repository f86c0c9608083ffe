"""STAFF-02 walked over every partner-scoped CRM read route the app serves: a staff member whose
role has every permission but the personal-data ones pages every list with every sort it accepts,
searches by the hidden values, reads every card, feed and file, and finds the seeded clients'
names, phones and e-mails in no answer, no header, no exported cell and no cursor however it is
decoded; a forged or altered cursor, or one of another sort, answers 400 on every list.

The routes come from the app, so a list or export added later is walked without editing this file."""

from __future__ import annotations

import uuid

import pytest

from core.models import RegistrationRequest
from tests.crm.estate import link, make_client, make_premise, partner_with_staff
from tests.crm.masking import (altered, answer_readings, cursor_readings, old_style_cursor, pages_with_cursor,
                               phone_forms, read_routes, sorts_of)
from tests.crm.walk import everything_routes_name, fill_path
from tests.support import ALL_PERMISSIONS, expect, login_resident, staff_headers

SKIP = ("/crm/v1/partners", "/crm/v1/auth", "/crm/v1/me", "/crm/v1/audit")
LAST, FIRST, MIDDLE = "Маскируемая", "Евпраксия", "Феоктистовна"
ORGANIZATION = "ИП Маскируемая Евпраксия Феоктистовна"
PHONE, EMAIL = "+79167780011", "evpraksia.hidden@example.com"
CO_LAST, CO_FIRST, CO_PHONE, CO_EMAIL = "Скрытнова", "Агриппина", "+79167780012", "agrippina.hidden@example.com"
LEAD_NAME, LEAD_PHONE = "Лукерья Неопознанная", "+79167780013"
APP_NAME = "Евпрасюшка"
NAMES = (LAST, FIRST, MIDDLE, CO_LAST, CO_FIRST, *LEAD_NAME.split(), APP_NAME)
CONTACTS = (*phone_forms(PHONE), *phone_forms(CO_PHONE), *phone_forms(LEAD_PHONE), EMAIL, CO_EMAIL,
            "evpraksia.hidden", "agrippina.hidden")
PII = ("clients.pii.name", "clients.pii.contacts")


async def _world(http, db) -> tuple[str, dict[str, str]]:
    """Two of everything a list shows (so that every list has a second page), built by a staff
    member with every permission."""
    partner, staff = await partner_with_staff(http, name="УК Маски")
    ids = await everything_routes_name(
        http, staff, label="Маска",
        client={"type": "sole_proprietor", "organization_name": ORGANIZATION, "last_name": LAST,
                "first_name": FIRST, "middle_name": MIDDLE, "phone": PHONE, "email": EMAIL,
                "birth_date": "1980-04-05"},
        lead={"phone": LEAD_PHONE, "name": LEAD_NAME}, account_number="MASK-1", file_name="mask.xml")
    premise, client = ids["premise_id"], ids["client_id"]
    co_client = await make_client(http, staff, CO_LAST, CO_FIRST, CO_PHONE, email=CO_EMAIL)
    await link(http, staff, premise, co_client, "resident", depends_on_client_id=client)
    second = await make_premise(http, staff, ids["object_id"], "8", total_area=40)
    await link(http, staff, second, co_client)
    expect(await http.post("/crm/v1/orders", headers=staff, json={
        "kind": "requests", "premise_id": premise, "client_id": client, "title": "Вторая заявка", "status": "done"}),
        201)
    expect(await http.post(f"/crm/v1/premises/{premise}/documents", headers=staff, data={
        "name": "Второй акт", "description": "", "date": "2026-01-02"},
        files={"file": ("act2.pdf", b"%PDF-1.4 act", "application/pdf")}), 201)
    expect(await http.post("/crm/v1/mailings", headers=staff, json={
        "channel": "push", "title": "Вторая рассылка", "body": "Текст", "filter": {"client_ids": [client]}}), 201)
    resident = await login_resident(http, PHONE)
    expect(await http.patch("/app/v1/me", headers={"Authorization": f"Bearer {resident['access_token']}"},
                            json={"first_name": APP_NAME}), 200)
    request = RegistrationRequest(partner_id=uuid.UUID(partner), kind="premise_request", phone=CO_PHONE,
                                  address="ул. Ленина, 5", number="7", role="owner",
                                  details={"last_name": CO_LAST, "first_name": CO_FIRST})
    db.add(request)
    await db.flush()
    return partner, {**ids, "request_id": str(request.id), "kind": "premises"}


def _assert_hidden(readings: str, secrets: tuple[str, ...], where) -> None:
    for secret in secrets:
        assert secret.lower() not in readings, (where, secret)


def _refused_cursor(response, where) -> None:
    assert response.status_code == 400, (where, response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json"), where
    assert response.json()["errors"][0]["field"] == "cursor", (where, response.text)


@pytest.mark.parametrize(("hidden", "secrets"), [
    (PII, NAMES + CONTACTS),
    (("clients.pii.name",), NAMES),
    (("clients.pii.contacts",), CONTACTS),
], ids=["no-pii", "no-names", "no-contacts"])
async def test_staff_02_every_list_sort_cursor_and_file_hides_what_the_role_may_not_see(http, db, app, hidden,
                                                                                         secrets):
    """Rule: STAFF-02"""
    partner, world = await _world(http, db)
    reader = await staff_headers(http, partner, [p for p in ALL_PERMISSIONS if p not in hidden])
    searches = [PHONE, "8 (916) 778-00-11", LAST, EMAIL, LEAD_PHONE]
    paged_lists, cursors, files, refused = set(), 0, 0, 0
    issued_on: dict[str, tuple[str | None, str]] = {}  # a cursor of each paged list, for another partner
    for path, handler in read_routes(app, skip=SKIP):
        url = fill_path(path, world, "masking")
        takes_q = "q" in handler.parsed_fn_signature.parameters
        issued: dict[str | None, str] = {}
        for sort in sorts_of(handler):
            base = {"limit": 1, **({"sort": sort} if sort else {})} if pages_with_cursor(handler) else (
                {"sort": sort} if sort else {})
            for params in [base] + ([{**base, "q": q} for q in searches] if takes_q else []):
                cursor, seen = None, 0
                while True:
                    response = await http.get(url, headers=reader,
                                              params={**params, **({"cursor": cursor} if cursor else {})})
                    assert response.status_code in (200, 400), (path, params, response.status_code, response.text)
                    _assert_hidden(answer_readings(response), secrets, (path, params))
                    files += response.headers.get("content-type", "").startswith("application/vnd.openxml")
                    cursor = response.json().get("next_cursor") if pages_with_cursor(handler) else None
                    if cursor is None or seen > 20:
                        break
                    _assert_hidden(cursor_readings(cursor), secrets, (path, params, "cursor"))
                    paged_lists.add(path)
                    issued.setdefault(sort, cursor)
                    cursors += 1
                    seen += 1
        if not pages_with_cursor(handler):
            continue
        if issued:
            issued_on[url] = next(iter(issued.items()))
        sort = sorts_of(handler)[0]
        forgeries = [old_style_cursor([PHONE, world["client_id"]]), old_style_cursor([LAST.lower(), "", world["client_id"]]),
                     old_style_cursor(["2026-11-24T10:00:00+00:00", str(uuid.uuid4())]), "garbage"]
        if sort in issued:
            forgeries.append(altered(issued[sort]))
        for forged in forgeries:
            response = await http.get(url, headers=reader, params={"cursor": forged, **({"sort": sort} if sort else {})})
            _refused_cursor(response, (path, forged))
            _assert_hidden(answer_readings(response), secrets, (path, "forged"))
            refused += 1
        for other, cursor in issued.items():
            if other != sort and sort in issued:
                _refused_cursor(await http.get(url, headers=reader, params={"cursor": cursor, "sort": sort}),
                                (path, other, sort))
                refused += 1
    assert {"/crm/v1/clients", "/crm/v1/premises", "/crm/v1/premises/{premise_id}/documents",
            "/crm/v1/clients/{client_id}/activity", "/crm/v1/premises/{premise_id}/activity",
            "/crm/v1/clients/{client_id}/mailings", "/crm/v1/registration-requests"} <= paged_lists, paged_lists
    assert cursors >= 15 and files >= 4 and refused >= 30, (cursors, files, refused)
    # STAFF-04 too: a cursor of this partner's list is refused on the same list of another partner.
    _, foreign = await partner_with_staff(http, name="УК Чужие маски")
    for url, (sort, cursor) in issued_on.items():
        response = await http.get(url, headers=foreign, params={"cursor": cursor, **({"sort": sort} if sort else {})})
        if world["client_id"] in url or world["premise_id"] in url:
            assert response.status_code in (400, 404), (url, response.status_code)
        else:
            _refused_cursor(response, (url, "foreign partner"))
        _assert_hidden(answer_readings(response), secrets, (url, "foreign partner"))
    card = expect(await http.get(f"/crm/v1/clients/{world['client_id']}", headers=reader), 200)
    if "clients.pii.name" in hidden:
        assert card["organization_name"] == "*" * len(ORGANIZATION.replace(" ", "")) or set(
            card["organization_name"]) <= {"*", " "}
        assert card["app_name"] and set(card["app_name"]) <= {"*", " "}
