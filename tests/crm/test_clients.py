"""Client cards through the CRM API: search, validation, phone rules, masking, tags, audit."""

from __future__ import annotations

from sqlalchemy import select

from core.models import AuditRecord
from tests.crm.estate import link, make_client, make_object, make_premise, partner_with_staff
from tests.support import expect, login_resident, staff_headers


async def _search(http, staff, q: str, **params) -> list[str]:
    body = expect(await http.get("/crm/v1/clients", headers=staff, params={"q": q, **params}), 200)
    return [item["id"] for item in body["items"]]


async def test_crm_cli_01_search_by_name_or_phone_in_any_format(http):
    """Rule: CRM-CLI-01 — by name or phone in any format (+7…, 8…, any part of the digits)."""
    _, staff = await partner_with_staff(http)
    anna = await make_client(http, staff, "Иванова", "Анна", "+7 916 123-45-67", middle_name="Сергеевна")
    ivan = await make_client(http, staff, "Иванов", "Иван", "+7 903 765-43-21")
    await make_client(http, staff, "Петров", "Пётр", "+7 926 000-11-22")
    assert set(await _search(http, staff, "Иванов")) == {anna, ivan}
    assert await _search(http, staff, "иванова анна") == [anna]
    assert await _search(http, staff, "Анна Иванова") == [anna]
    assert await _search(http, staff, "Серг") == [anna]
    for phone in ("+79161234567", "89161234567", "8 (916) 123-45-67", "916123", "4567", "+7 916"):
        assert await _search(http, staff, phone) == [anna], phone
    assert await _search(http, staff, "Сидоров") == []


async def test_crm_cli_01_sorts_and_card(http):
    """Rule: CRM-CLI-01 — sort by name, phone, last visit; the card lists premises and external ids."""
    _, staff = await partner_with_staff(http)
    b = await make_client(http, staff, "Борисов", "Борис", "+79160000002")
    a = await make_client(http, staff, "Алексеев", "Алексей", "+79160000003",
                          external_ids=[{"value": "1C-7", "note": "1С"}, {"value": "CRM-9"}])
    c = await make_client(http, staff, "Васильев", "Василий", "+79160000001")
    assert await _search(http, staff, "", sort="name") == [a, b, c]
    assert await _search(http, staff, "", sort="-name") == [c, b, a]
    assert await _search(http, staff, "", sort="phone") == [c, b, a]
    premise = await make_premise(http, staff, await make_object(http, staff))
    await link(http, staff, premise, b)  # the unified app's sessions count once the account has a premise here
    await login_resident(http, "+79160000002")
    assert (await _search(http, staff, "", sort="-last_visit"))[0] == b
    await link(http, staff, premise, a)
    card = expect(await http.get(f"/crm/v1/clients/{a}", headers=staff), 200)
    assert card["full_name"] == "Алексеев Алексей" and card["has_logged_in"] is False
    assert card["external_ids"] == [{"value": "1C-7", "note": "1С"}, {"value": "CRM-9", "note": None}]
    assert [(p["premise_id"], p["role"]) for p in card["premises"]] == [(premise, "owner")]
    assert expect(await http.get(f"/crm/v1/clients/{b}", headers=staff), 200)["has_logged_in"] is True


async def test_crm_cli_02_names_accept_letters_only(http):
    """Rule: CRM-CLI-02 — letters of any alphabet, spaces, hyphens, apostrophes."""
    _, staff = await partner_with_staff(http)
    ok = await make_client(http, staff, "Салтыков-Щедрин", "Jean Luc", middle_name="O'Neil")
    assert expect(await http.get(f"/crm/v1/clients/{ok}", headers=staff), 200)["middle_name"] == "O'Neil"
    for bad in ("Иван2", "Анна!", "-", "Пётр_"):
        response = await http.post("/crm/v1/clients", headers=staff, json={"last_name": bad, "first_name": "Анна",
                                                                           "phone": "+79161230000"})
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == "last_name", bad


async def test_crm_val_01_client_validation(http, clock):
    """Rule: CRM-VAL-01 — phone, INN and SNILS with check digits, birth date not in the future."""
    _, staff = await partner_with_staff(http)
    base = {"last_name": "Иванова", "first_name": "Анна"}
    cases = [({"phone": "123"}, "phone"), ({"phone": "+79161230001", "inn": "7707083894"}, "inn"),
             ({"phone": "+79161230002", "snils": "112-233-445 96"}, "snils"),
             ({"phone": "+79161230003", "birth_date": "2027-01-01"}, "birth_date"),
             ({"phone": "+79161230004", "email": "not-an-email"}, "email")]
    for extra, field in cases:
        response = await http.post("/crm/v1/clients", headers=staff, json={**base, **extra})
        assert response.status_code == 400 and response.json()["errors"][0]["field"] == field, extra
    good = await make_client(http, staff, inn="7707083893", snils="112-233-445 95", phone="+79161230005")
    card = expect(await http.get(f"/crm/v1/clients/{good}", headers=staff), 200)
    assert (card["inn"], card["snils"]) == ("7707083893", "11223344595")


async def test_crm_cli_03_phone_changes_only_before_first_login(http):
    """Rule: CRM-CLI-03 — the phone changes while the client never logged in; a phone held by
    another client is a conflict naming that client."""
    _, staff = await partner_with_staff(http)
    a = await make_client(http, staff, "Иванова", "Анна", "+79161110001")
    b = await make_client(http, staff, "Петров", "Пётр", "+79161110002")
    changed = expect(await http.patch(f"/crm/v1/clients/{a}", headers=staff, json={"phone": "8 916 111-00-03"}), 200)
    assert changed["phone"] == "+79161110003"
    taken = await http.patch(f"/crm/v1/clients/{a}", headers=staff, json={"phone": "+79161110002"})
    assert taken.status_code == 409 and taken.json()["client_id"] == b and "Петров Пётр" in taken.json()["detail"]
    await link(http, staff, await make_premise(http, staff, await make_object(http, staff)), a)
    await login_resident(http, "+79161110003")
    locked = await http.patch(f"/crm/v1/clients/{a}", headers=staff, json={"phone": "+79161110004"})
    assert locked.status_code == 422
    assert locked.json()["detail"] == ("Невозможно изменить номер телефона, так как клиент уже выполнил вход "
                                       "в личный кабинет")
    assert expect(await http.get(f"/crm/v1/clients/{a}", headers=staff), 200)["phone"] == "+79161110003"


async def test_duplicate_phone_on_create_names_the_holder(http):
    _, staff = await partner_with_staff(http)
    holder = await make_client(http, staff, "Иванова", "Анна", "+79161110001")
    response = await http.post("/crm/v1/clients", headers=staff, json={"last_name": "Б", "first_name": "В",
                                                                       "phone": "89161110001"})
    assert response.status_code == 409 and response.json()["client_id"] == holder


async def test_staff_02_masking_everywhere_and_search_still_works(http):
    """Rule: STAFF-02 — without the PII permissions names, phones and emails are asterisks in lists,
    cards and search results; searching by them still works but never reveals them."""
    partner, admin = await partner_with_staff(http)
    client = await make_client(http, admin, "Иванова", "Анна", "+79161234567", email="anna@example.com")
    premise = await make_premise(http, admin, await make_object(http, admin))
    await link(http, admin, premise, client)
    blind = await staff_headers(http, partner, ["clients.activity"])
    listed = expect(await http.get("/crm/v1/clients", headers=blind, params={"q": "Иванова"}), 200)["items"]
    assert [i["id"] for i in listed] == [client]
    assert listed[0]["full_name"] == "******* ****" and listed[0]["phone"] == "************"
    by_phone = expect(await http.get("/crm/v1/clients", headers=blind, params={"q": "4567"}), 200)["items"]
    assert [i["id"] for i in by_phone] == [client]
    card = expect(await http.get(f"/crm/v1/clients/{client}", headers=blind), 200)
    assert set(card["full_name"]) <= {"*", " "} and card["email"] == "****************" and card["last_name"] == "*******"
    premise_card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=blind), 200)
    assert premise_card["clients"][0]["full_name"] == "******* ****"
    rows = expect(await http.get("/crm/v1/premises", headers=blind, params={"q": "Иванова"}), 200)["items"]
    assert rows[0]["clients"][0]["full_name"] == "******* ****"
    for body in (listed, by_phone, card, premise_card, rows):
        text = str(body)
        assert "Иванова" not in text and "9161234567" not in text and "anna@" not in text
    names_only = await staff_headers(http, partner, ["clients.pii.name"])
    card = expect(await http.get(f"/crm/v1/clients/{client}", headers=names_only), 200)
    assert card["full_name"] == "Иванова Анна" and card["phone"] == "************"


async def test_unmasked_reads_are_recorded(http, db):
    """152-FZ: every read of unmasked personal data by staff is recorded: who, which client, which fields."""
    partner, admin = await partner_with_staff(http)
    client = await make_client(http, admin)
    blind = await staff_headers(http, partner, [])
    before = len((await db.scalars(select(AuditRecord).where(AuditRecord.action == "pii.read"))).all())
    expect(await http.get(f"/crm/v1/clients/{client}", headers=blind), 200)
    assert len((await db.scalars(select(AuditRecord).where(AuditRecord.action == "pii.read"))).all()) == before
    expect(await http.get(f"/crm/v1/clients/{client}", headers=admin), 200)
    records = (await db.scalars(select(AuditRecord).where(AuditRecord.action == "pii.read")
                                .order_by(AuditRecord.created_at.desc()))).all()
    assert records[0].target_id == client and records[0].fields == ["email", "name", "phone"]
    assert records[0].actor_type == "staff" and records[0].partner_id is not None


async def test_staff_03_tags_without_permission(http):
    """Rule: STAFF-03 — without `clients.tags.edit` only existing tags can be applied."""
    partner, admin = await partner_with_staff(http)
    await make_client(http, admin, tags=["VIP"])
    client = await make_client(http, admin)
    editor = await staff_headers(http, partner, ["clients.edit"])
    expect(await http.patch(f"/crm/v1/clients/{client}", headers=editor, json={"tags": ["VIP"]}), 200)
    refused = await http.patch(f"/crm/v1/clients/{client}", headers=editor, json={"tags": ["VIP", "Новый"]})
    assert refused.status_code == 403 and refused.json()["code"] == "tags_edit_required"
    assert expect(await http.get(f"/crm/v1/clients/{client}", headers=admin), 200)["tags"] == ["VIP"]
    expect(await http.patch(f"/crm/v1/clients/{client}", headers=admin, json={"tags": ["VIP", "Новый"]}), 200)


async def test_client_writes_need_clients_edit(http):
    partner, admin = await partner_with_staff(http)
    client = await make_client(http, admin)
    reader = await staff_headers(http, partner, ["clients.pii.name", "clients.pii.contacts"])
    assert (await http.patch(f"/crm/v1/clients/{client}", headers=reader, json={"note": "x"})).status_code == 403
    assert (await http.post("/crm/v1/clients", headers=reader, json={"first_name": "А", "phone": "+79160000000"})
            ).status_code == 403


async def test_external_ids_are_unique_per_partner(http):
    partner, staff = await partner_with_staff(http)
    first = await make_client(http, staff, external_ids=[{"value": "1C-1"}])
    response = await http.post("/crm/v1/clients", headers=staff, json={
        "last_name": "Б", "first_name": "В", "phone": "+79160001111", "external_ids": [{"value": "1C-1"}]})
    assert response.status_code == 409 and response.json()["client_id"] == first
    _, other_staff = await partner_with_staff(http)
    await make_client(http, other_staff, external_ids=[{"value": "1C-1"}])


async def test_crm_cli_01_name_search_pages_in_name_order(http):
    """Rule: CRM-CLI-01 — a name search matches last, first or middle names and pages in name order."""
    _, staff = await partner_with_staff(http)
    people = [("Иванова", "Анна"), ("Петров", "Иван"), ("Иванов", "Борис"), ("Сидоров", "Пётр", "Иванович"),
              ("Иваненко", "Ольга"), ("Смирнов", "Олег")]
    ids = {}
    for last, first, *middle in people:
        ids[last] = await make_client(http, staff, last, first, **({"middle_name": middle[0]} if middle else {}))
    expected = [ids[n] for n in ("Иваненко", "Иванов", "Иванова", "Петров", "Сидоров")]

    async def pages(sort: str) -> list[str]:
        found, cursor = [], None
        while True:
            params = {"q": "иван", "sort": sort, "limit": 2, **({"cursor": cursor} if cursor else {})}
            body = expect(await http.get("/crm/v1/clients", headers=staff, params=params), 200)
            found += [item["id"] for item in body["items"]]
            cursor = body["next_cursor"]
            if cursor is None:
                return found

    assert await pages("name") == expected
    assert await pages("-name") == expected[::-1]
    assert await _search(http, staff, "иван бор") == [ids["Иванов"]]


async def test_crm_cli_01_phone_fragment_pages_alike_for_rare_and_common_fragments(http, monkeypatch):
    """Rule: CRM-CLI-01 — a phone fragment finds the partner's cards in name order, page by page,
    whether few cards match (looked up by the phone index) or many (the name order walked)."""
    import core.clients.service as clients

    _, staff = await partner_with_staff(http)
    _, other = await partner_with_staff(http)
    await make_client(http, other, "Абрамов", "Чужой", "+79995550001")
    names = ["Яковлев", "Борисов", "Андреев", "Громов", "Власов"]
    ids = {name: await make_client(http, staff, name, "Иван", f"+7999555{i:04d}") for i, name in enumerate(names)}
    await make_client(http, staff, "Абрамов", "Другой", "+79161230000")
    expected = [ids[n] for n in sorted(names)]

    async def pages() -> list[str]:
        found, cursor = [], None
        while True:
            params = {"q": "9995 55", "sort": "name", "limit": 2, **({"cursor": cursor} if cursor else {})}
            body = expect(await http.get("/crm/v1/clients", headers=staff, params=params), 200)
            found += [item["id"] for item in body["items"]]
            if (cursor := body["next_cursor"]) is None:
                return found

    assert await pages() == expected
    monkeypatch.setattr(clients, "PHONE_MATCHES", 3)  # five matches: now a "common" fragment
    assert await pages() == expected
