"""Pagination cursors (STAFF-02): opaque and tamper-proof. A cursor carries the sort key of the
last row it stands after — a client's name or phone under `sort=name` / `sort=phone` — so it is
sealed: a staff member without `clients.pii.*` reads nothing out of it, and a cursor the server
did not issue (forged, altered, or issued for another list, sort, filter or partner) is 400."""

from __future__ import annotations

import base64
import json

import pytest

from core.errors import InvalidInput
from core.infra.pagination import CursorCodec, Position
from tests.crm.estate import make_client, make_object, make_premise, partner_with_staff
from tests.crm.masking import cursor_readings, phone_forms
from tests.support import ALL_PERMISSIONS, expect, login_resident, staff_headers

NO_PII = [p for p in ALL_PERMISSIONS if p not in ("clients.pii.name", "clients.pii.contacts")]
PEOPLE = [("Секретарёва", "Олимпиада", "+79167771001"), ("Тайнова", "Серафима", "+79167771002"),
          ("Укрытова", "Феврония", "+79167771003")]


def _old_style(values: list) -> str:
    """A cursor as the server used to make them (base64 of the JSON sort key), forged."""
    return base64.urlsafe_b64encode(json.dumps(values, ensure_ascii=False).encode()).decode().rstrip("=")


def _bad_cursor(response) -> None:
    assert response.status_code == 400, (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["errors"][0]["field"] == "cursor", problem


async def _partner_with_people(http):
    partner, staff = await partner_with_staff(http, name="УК Курсоры")
    ids = [await make_client(http, staff, last, first, phone) for last, first, phone in PEOPLE]
    return partner, staff, ids


@pytest.mark.parametrize("sort", ["name", "-name", "phone", "-phone", "last_visit", "-last_visit"])
async def test_staff_02_a_cursor_shows_no_sort_key_to_a_staff_member_without_pii(http, sort):
    """Rule: STAFF-02 — a staff member without the personal-data permissions pages the client list
    sorted by name or phone: each next_cursor, decoded any way at all, holds none of the names or
    phones it pages over; the cursors still page through every client once."""
    partner, _, ids = await _partner_with_people(http)
    reader = await staff_headers(http, partner, NO_PII)
    secrets = [s.lower() for last, first, phone in PEOPLE for s in (last, first, *phone_forms(phone))]
    seen, cursor = [], None
    while True:
        params = {"sort": sort, "limit": 1, **({"cursor": cursor} if cursor else {})}
        body = expect(await http.get("/crm/v1/clients", headers=reader, params=params), 200)
        seen += [item["id"] for item in body["items"]]
        if (cursor := body["next_cursor"]) is None:
            break
        readings = cursor_readings(cursor)
        for secret in secrets:
            assert secret not in readings, (sort, secret)
    assert sorted(seen) == sorted(ids)


async def test_staff_02_a_cursor_the_server_did_not_issue_is_refused(http):
    """Rule: STAFF-02 — forged cursors (the sort key written by hand, to binary-search a phone),
    altered ones, and ones issued for another sort, filter, list or partner answer 400
    problem+json naming `cursor`, and say nothing of the sort key."""
    partner, staff, ids = await _partner_with_people(http)
    reader = await staff_headers(http, partner, NO_PII)
    for forged in (_old_style(["+79167771002", ids[1]]), _old_style(["+7916777", "00000000-0000-0000-0000-000000000000"]),
                   _old_style(["тайнова", "серафима", ids[1]]), "garbage", "AAAA", "A" * 300):
        for sort in ("phone", "name"):
            response = await http.get("/crm/v1/clients", headers=reader, params={"sort": sort, "cursor": forged})
            _bad_cursor(response)
            assert "9167771002" not in response.text and "Тайнова" not in response.text

    issued = expect(await http.get("/crm/v1/clients", headers=reader, params={"sort": "phone", "limit": 1}),
                    200)["next_cursor"]
    expect(await http.get("/crm/v1/clients", headers=reader, params={"sort": "phone", "limit": 1, "cursor": issued}),
           200)
    # The same list read by a colleague of the same partner (another page size too) continues.
    expect(await http.get("/crm/v1/clients", headers=staff, params={"sort": "phone", "limit": 2, "cursor": issued}),
           200)
    flipped = issued[:20] + ("A" if issued[20] != "A" else "B") + issued[21:]
    _bad_cursor(await http.get("/crm/v1/clients", headers=reader, params={"sort": "phone", "cursor": flipped}))
    _bad_cursor(await http.get("/crm/v1/clients", headers=reader, params={"sort": "-phone", "cursor": issued}))
    _bad_cursor(await http.get("/crm/v1/clients", headers=reader, params={"sort": "name", "cursor": issued}))
    _bad_cursor(await http.get("/crm/v1/clients", headers=reader,
                               params={"sort": "phone", "q": "7771", "cursor": issued}))
    _bad_cursor(await http.get("/crm/v1/premises", headers=reader, params={"cursor": issued}))
    _, foreign = await partner_with_staff(http, name="УК Чужие курсоры")
    await make_client(http, foreign, "Чужая", "Клиентка", "+79167771009")
    _bad_cursor(await http.get("/crm/v1/clients", headers=foreign, params={"sort": "phone", "cursor": issued}))


async def test_staff_02_premise_and_activity_cursors_are_bound_to_their_list(http):
    """Rule: STAFF-02 — a cursor of one premise's documents does not page another premise's, nor
    the premise list."""
    _, staff = await partner_with_staff(http, name="УК Документы")
    obj = await make_object(http, staff)
    first, second = await make_premise(http, staff, obj, "1"), await make_premise(http, staff, obj, "2")
    for premise in (first, second):
        for n in range(2):
            expect(await http.post(f"/crm/v1/premises/{premise}/documents", headers=staff,
                                   data={"name": f"Акт {n}", "description": "", "date": "2026-01-01"},
                                   files={"file": ("a.pdf", b"%PDF-1.4", "application/pdf")}), 201)
    cursor = expect(await http.get(f"/crm/v1/premises/{first}/documents", headers=staff, params={"limit": 1}),
                    200)["next_cursor"]
    expect(await http.get(f"/crm/v1/premises/{first}/documents", headers=staff, params={"cursor": cursor}), 200)
    _bad_cursor(await http.get(f"/crm/v1/premises/{second}/documents", headers=staff, params={"cursor": cursor}))
    _bad_cursor(await http.get("/crm/v1/premises", headers=staff, params={"cursor": cursor}))


async def test_staff_02_a_residents_inbox_cursor_is_theirs_only(http, runtime):
    """Rule: STAFF-02 — the app's inbox cursors are sealed too: another account's cursor is 400."""
    partner, staff = await partner_with_staff(http, name="УК Входящие")
    obj = await make_object(http, staff)
    premise = await make_premise(http, staff, obj)
    tokens = {}
    for phone in ("+79167771011", "+79167771012"):
        client = await make_client(http, staff, "Жилец", "Тестовый", phone)
        expect(await http.post(f"/crm/v1/premises/{premise}/clients", headers=staff,
                               json={"client_id": client, "role": "owner"} if phone.endswith("11") else
                               {"client_id": client, "role": "resident", "depends_on_client_id": tokens["owner"]}),
               201)
        tokens.setdefault("owner", client)
        for n in range(2):
            expect(await http.post("/crm/v1/notifications", headers=staff, json={
                "client_id": client, "type": "news", "title": f"Новость {n}", "body": "Текст"}), 201)
        tokens[phone] = {"Authorization": f"Bearer {(await login_resident(http, phone))['access_token']}"}
    mine = expect(await http.get("/app/v1/notifications", headers=tokens["+79167771011"], params={"limit": 1}),
                  200)["next_cursor"]
    expect(await http.get("/app/v1/notifications", headers=tokens["+79167771011"], params={"cursor": mine}), 200)
    _bad_cursor(await http.get("/app/v1/notifications", headers=tokens["+79167771012"], params={"cursor": mine}))


@pytest.mark.no_db
def test_staff_02_cursors_survive_a_key_rotation_and_nothing_else():
    """Rule: STAFF-02 — a cursor sealed under the previous token secret still opens after a
    rotation (TOKEN_SECRETS_PREVIOUS); one sealed under an unknown secret, or for another scope,
    does not; two seals of one position differ (nothing to compare between cursors)."""
    old, new = "o" * 40 + "ld-secret", "n" * 40 + "ew-secret"
    before, after, stranger = CursorCodec([old]), CursorCodec([new, old]), CursorCodec(["s" * 48])
    position = Position(["+79167771001", "3f1c"])
    cursor = before.seal(position, "partner:1\n/crm/v1/clients\nsort=phone")
    assert after.open(cursor, "partner:1\n/crm/v1/clients\nsort=phone").values == position.values
    assert before.seal(position, "x") != before.seal(position, "x")
    for codec, scope in ((stranger, "partner:1\n/crm/v1/clients\nsort=phone"),
                         (after, "partner:2\n/crm/v1/clients\nsort=phone")):
        with pytest.raises(InvalidInput) as refused:
            codec.open(cursor, scope)
        assert refused.value.errors[0].field == "cursor"
        assert "7916" not in str(refused.value)
