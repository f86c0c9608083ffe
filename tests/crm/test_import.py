"""Import through the API: the matching rules, per-item results, idempotency, concurrency,
premises with owners replaced as a set, and the staff merge."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select, text

from core.imports.rules import LOGGED_IN, MULTI_ORG
from core.models import AuditRecord
from tests.crm.estate import link, make_client, make_object, make_premise, partner_with_staff
from tests.support import api_key_headers, create_partner, expect, login_resident


def person(external_id: str, phone: str, last="Иванова", first="Анна", **extra) -> dict:
    return {"external_id": external_id, "phone": phone, "last_name": last, "first_name": first, **extra}


async def imp(http, headers, *items) -> list[dict]:
    return expect(await http.post("/crm/v1/import/clients", headers=headers, json={"items": list(items)}), 200)["results"]


async def card(http, headers, client_id) -> dict:
    return expect(await http.get(f"/crm/v1/clients/{client_id}", headers=headers), 200)


async def test_import_04_creates_and_import_01_updates(http):
    """Rules: IMPORT-04 (neither matches: created), IMPORT-01 (both match: external id and phone stay,
    other fields overwrite)."""
    _, staff = await partner_with_staff(http)
    [created] = await imp(http, staff, person("1C-1", "+79161230001", email="a@example.com"))
    assert created["status"] == "created"
    [updated] = await imp(http, staff, person("1C-1", "8 916 123-00-01", last="Петрова"))
    assert updated == {"index": 0, "status": "updated", "client_id": created["client_id"]}
    c = await card(http, staff, created["client_id"])
    assert (c["last_name"], c["phone"], c["email"]) == ("Петрова", "+79161230001", "a@example.com")
    assert [e["value"] for e in c["external_ids"]] == ["1C-1"]


async def test_import_03_phone_match_adds_the_external_id(http):
    """Rule: IMPORT-03 — X matches nothing, the phone matches D: X joins D's external ids."""
    _, staff = await partner_with_staff(http)
    d = await make_client(http, staff, "Смирнова", "Ольга", "+79161230002", external_ids=[{"value": "CRM-5"}])
    [result] = await imp(http, staff, person("1C-2", "+7 (916) 123-00-02", first="Ольга", last="Смирнова-Белова",
                                             external_id_note="1С"))
    assert result == {"index": 0, "status": "external_id_added", "client_id": d}
    c = await card(http, staff, d)
    assert sorted(e["value"] for e in c["external_ids"]) == ["1C-2", "CRM-5"]
    assert c["last_name"] == "Смирнова-Белова"


async def test_import_02d_new_phone_overwrites_and_is_remembered(http):
    """Rule: IMPORT-02D — X matches C, the new phone was never used here: overwritten, phone included."""
    _, staff = await partner_with_staff(http)
    [first] = await imp(http, staff, person("1C-3", "+79161230003"))
    [second] = await imp(http, staff, person("1C-3", "+79161239999"))
    assert second["status"] == "updated" and second["client_id"] == first["client_id"]
    assert (await card(http, staff, first["client_id"]))["phone"] == "+79161239999"
    # The old phone stays in the history: giving it to someone else later is refused (IMPORT-02B).
    [other] = await imp(http, staff, person("1C-4", "+79161230004"))
    [refused] = await imp(http, staff, person("1C-4", "+79161230003"))
    assert refused["status"] == "error" and refused["detail"] == LOGGED_IN
    assert (await card(http, staff, other["client_id"]))["phone"] == "+79161230004"


async def test_import_02c_merges_with_the_card_that_holds_the_phone(http):
    """Rule: IMPORT-02C — the new phone belongs to D who never logged in: the cards merge into one
    holding it, with the premises and external ids of both and the passed fields."""
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    p1, p2 = await make_premise(http, staff, obj, "1"), await make_premise(http, staff, obj, "2")
    [c] = await imp(http, staff, person("1C-5", "+79161230005"))
    d = await make_client(http, staff, "Орлова", "Ольга", "+79161230006", external_ids=[{"value": "CRM-6"}])
    await link(http, staff, p1, c["client_id"])
    await link(http, staff, p2, d)
    [merged] = await imp(http, staff, person("1C-5", "+79161230006", last="Орлова", first="Ольга"))
    assert merged == {"index": 0, "status": "merged", "client_id": d}
    survivor = await card(http, staff, d)
    assert survivor["phone"] == "+79161230006"
    assert sorted(e["value"] for e in survivor["external_ids"]) == ["1C-5", "CRM-6"]
    assert sorted(p["premise_id"] for p in survivor["premises"]) == sorted([p1, p2])
    assert (await http.get(f"/crm/v1/clients/{c['client_id']}", headers=staff)).status_code == 404


async def test_import_02b_refuses_when_someone_logged_in(http):
    """Rule: IMPORT-02B — C has logged in, or the phone's holder D has: the phone does not change."""
    _, staff = await partner_with_staff(http)
    [c] = await imp(http, staff, person("1C-7", "+79161230007"))
    await login_resident(http, "+79161230007")
    [refused] = await imp(http, staff, person("1C-7", "+79161230008"))
    assert refused["status"] == "error" and refused["code"] == "client_logged_in" and refused["detail"] == LOGGED_IN
    assert (await card(http, staff, c["client_id"]))["phone"] == "+79161230007"
    [e] = await imp(http, staff, person("1C-8", "+79161230009"))
    d = await make_client(http, staff, "Жукова", "Жанна", "+79161230010")
    await login_resident(http, "+79161230010")
    [refused] = await imp(http, staff, person("1C-8", "+79161230010"))
    assert refused["detail"] == LOGGED_IN
    assert (await card(http, staff, e["client_id"]))["phone"] == "+79161230009"
    assert (await card(http, staff, d))["phone"] == "+79161230010"


async def test_import_02a_checked_first_phone_in_several_organizations(http):
    """Rule: IMPORT-02A — C's phone is also a client of another partner: refused with its own
    message, even when C has logged in too (checked first)."""
    _, staff = await partner_with_staff(http)
    _, other = await partner_with_staff(http)
    [c] = await imp(http, staff, person("1C-9", "+79161230011"))
    await make_client(http, other, "Иванова", "Анна", "+79161230011")
    await login_resident(http, "+79161230011")
    [refused] = await imp(http, staff, person("1C-9", "+79161230012"))
    assert refused["code"] == "phone_in_several_organizations" and refused["detail"] == MULTI_ORG
    assert (await card(http, staff, c["client_id"]))["phone"] == "+79161230011"


async def test_import_05_phone_formats_match_one_client(http):
    """Rule: IMPORT-05 — +7, 8, spaces, brackets, dashes: one number."""
    _, staff = await partner_with_staff(http)
    results = await imp(http, staff, person("A", "+7 916 123-00-13"), person("B", "8(916)1230013"),
                        person("C", "79161230013"))
    assert [r["status"] for r in results] == ["created", "external_id_added", "external_id_added"]
    assert len({r["client_id"] for r in results}) == 1


async def test_one_bad_item_fails_alone(http):
    _, staff = await partner_with_staff(http)
    results = await imp(http, staff, person("OK-1", "+79161230014"), person("BAD-1", "not a phone"),
                        {"external_id": "BAD-2", "phone": 5}, person("BAD-3", "+79161230015", last="Иван0в"),
                        person("OK-2", "+79161230016"))
    assert [r["status"] for r in results] == ["created", "error", "error", "error", "created"]
    assert results[1]["errors"][0]["field"] == "phone" and results[3]["errors"][0]["field"] == "last_name"
    listed = expect(await http.get("/crm/v1/clients", headers=staff), 200)["items"]
    assert len(listed) == 2


async def test_batch_size_is_limited(http):
    _, staff = await partner_with_staff(http)
    items = [person(f"X{i}", f"+7916{i:07d}") for i in range(1001)]
    assert (await http.post("/crm/v1/import/clients", headers=staff, json={"items": items})).status_code == 400


async def _snapshot(db, partner_id: str) -> dict:
    rows = {}
    for table, condition in [
        ("client", "partner_id = :p"), ("client_external_id", "partner_id = :p"), ("premise", "partner_id = :p"),
        ("premise_link", "partner_id = :p"), ("personal_account", "partner_id = :p"),
        ("client_phone_history", "partner_id = :p"),
    ]:
        result = await db.execute(text(f"SELECT * FROM {table} WHERE {condition} ORDER BY 1"), {"p": partner_id})
        rows[table] = [tuple(r) for r in result.all()]
    return rows


async def test_the_same_batch_twice_changes_nothing(http, db):
    """Import is idempotent: the second run leaves every row exactly as it was (timestamps too)."""
    partner, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    key = await api_key_headers(http, partner)
    clients = [person("1C-20", "+79161230020"), person("1C-21", "+79161230021", last="Петров", first="Пётр")]
    premises = [{"external_id": "P-1", "object_id": obj, "type": "apartment", "street": "Ленина", "house": "5",
                 "number": "1", "total_area": "50.5", "accounts": [{"external_id": "LS-1", "number": "001"}],
                 "clients": [{**person("1C-22", "+79161230022"), "role": "owner"},
                             {**person("1C-23", "+79161230023", first="Ирина"), "role": "tenant", "rent_day": 5}]}]
    await imp(http, key, *clients)
    expect(await http.post("/crm/v1/import/premises", headers=key, json={"items": premises}), 200)
    first = await _snapshot(db, partner)
    await imp(http, key, *clients)
    again = expect(await http.post("/crm/v1/import/premises", headers=key, json={"items": premises}), 200)["results"]
    assert again[0]["status"] == "updated"
    assert await _snapshot(db, partner) == first


async def test_import_06_07_premises_owners_replaced_as_a_set(http):
    """Rules: IMPORT-06 (owners replaced as a set; their dependants go; keep_on_integration stays),
    IMPORT-07 (premises and personal accounts upserted by external id)."""
    partner, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    key = await api_key_headers(http, partner)

    def item(clients, accounts=None, **extra):
        return {"external_id": "P-9", "object_id": obj, "type": "apartment", "street": "Ленина", "house": "5",
                "number": "9", "accounts": accounts or [], "clients": clients, **extra}

    old_owner = {**person("O-1", "+79161230030", last="Старый"), "role": "owner"}
    family = {**person("F-1", "+79161230031", last="Старая"), "role": "resident"}
    first = expect(await http.post("/crm/v1/import/premises", headers=key, json={"items": [item(
        [old_owner, family], [{"external_id": "LS-9", "number": "009"}])]}), 200)["results"][0]
    premise = first["premise_id"]
    assert first["status"] == "created" and [c["status"] for c in first["clients"]] == ["created", "created"]
    kept = await make_client(http, staff, "Сохранённый", "Кирилл")
    await link(http, staff, premise, kept, "resident", depends_on_client_id=first["clients"][0]["client_id"],
               keep_on_integration=True)
    new_owner = {**person("O-2", "+79161230032", last="Новый"), "role": "owner"}
    second = expect(await http.post("/crm/v1/import/premises", headers=key, json={"items": [item(
        [new_owner], [{"external_id": "LS-9", "number": "009-A"}], total_area=61)]}), 200)["results"][0]
    assert second["status"] == "updated" and second["premise_id"] == premise
    c = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    assert sorted((x["full_name"].split()[0], x["role"]) for x in c["clients"]) == [("Новый", "owner"),
                                                                                   ("Сохранённый", "resident")]
    assert [a["number"] for a in c["accounts"]] == ["009-A"] and c["total_area"] == "61.00"


async def test_premise_item_with_a_bad_client_changes_nothing(http):
    partner, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    body = {"items": [{"external_id": "P-10", "object_id": obj, "type": "apartment", "street": "Ленина", "house": "5",
                       "number": "10", "clients": [{**person("O-3", "+79161230040"), "role": "owner"},
                                                   {**person("T-3", "+79161230041"), "role": "tenant"}]}]}
    [result] = expect(await http.post("/crm/v1/import/premises", headers=staff, json=body), 200)["results"]
    assert result["status"] == "error" and "rent_day" in result["errors"][0]["field"]
    assert expect(await http.get("/crm/v1/premises", headers=staff), 200)["items"] == []
    assert expect(await http.get("/crm/v1/clients", headers=staff), 200)["items"] == []


async def test_premises_import_refuses_another_partners_object(http):
    _, staff = await partner_with_staff(http)
    _, other = await partner_with_staff(http)
    foreign = await make_object(http, other)
    body = {"items": [{"external_id": "P-11", "object_id": foreign, "type": "apartment", "street": "Л", "house": "1",
                       "number": "1"}]}
    [result] = expect(await http.post("/crm/v1/import/premises", headers=staff, json=body), 200)["results"]
    assert result["status"] == "error" and result["errors"][0]["field"] == "object_id"


async def test_crm_cli_03_staff_merge(http, db):
    """Rule: CRM-CLI-03 — A is replaced by B: premises of both kept, A gone, B's phone stays; recorded."""
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    p1, p2 = await make_premise(http, staff, obj, "1"), await make_premise(http, staff, obj, "2")
    a = await make_client(http, staff, "Альфа", "Анна", "+79161230050", external_ids=[{"value": "A-1"}])
    b = await make_client(http, staff, "Бета", "Борис", "+79161230051")
    await link(http, staff, p1, a)
    await link(http, staff, p2, b)
    await link(http, staff, p2, a, "resident", depends_on_client_id=b)
    conflict = await http.patch(f"/crm/v1/clients/{a}", headers=staff, json={"phone": "+79161230051"})
    assert conflict.status_code == 409 and conflict.json()["client_id"] == b
    merged = expect(await http.post(f"/crm/v1/clients/{a}/merge", headers=staff, json={"with_client_id": b}), 200)
    assert merged["id"] == b and merged["phone"] == "+79161230051" and merged["last_name"] == "Бета"
    assert sorted((p["premise_id"], p["role"]) for p in merged["premises"]) == sorted([(p1, "owner"), (p2, "owner")])
    assert [e["value"] for e in merged["external_ids"]] == ["A-1"]
    assert (await http.get(f"/crm/v1/clients/{a}", headers=staff)).status_code == 404
    audit = (await db.scalars(select(AuditRecord).where(AuditRecord.action == "client.merge"))).all()
    assert audit[-1].target_id == b and audit[-1].details["absorbed_client_id"] == a


async def test_crm_cli_03_merge_refused_after_login(http):
    _, staff = await partner_with_staff(http)
    a = await make_client(http, staff, "Альфа", "Анна", "+79161230060")
    b = await make_client(http, staff, "Бета", "Борис", "+79161230061")
    await link(http, staff, await make_premise(http, staff, await make_object(http, staff)), a)
    await login_resident(http, "+79161230060")
    refused = await http.post(f"/crm/v1/clients/{a}/merge", headers=staff, json={"with_client_id": b})
    assert refused.status_code == 422
    _, other = await partner_with_staff(http)
    foreign = await make_client(http, other, "Гамма", "Галина", "+79161230062")
    assert (await http.post(f"/crm/v1/clients/{b}/merge", headers=staff,
                            json={"with_client_id": foreign})).status_code == 400


@pytest.mark.committed
async def test_concurrent_overlapping_batches_neither_deadlock_nor_duplicate(http, runtime):
    """Two integrations send overlapping batches at once, in opposite orders."""
    partner = await create_partner(http)
    key = await api_key_headers(http, partner)
    items = [person(f"C-{i}", f"+7916555{i:04d}", first=f"Имя{'а' * (i % 3)}") for i in range(60)]

    async def send(batch):
        return expect(await http.post("/crm/v1/import/clients", headers=key, json={"items": batch}), 200)["results"]

    first, second = await asyncio.gather(send(items), send(list(reversed(items))))
    assert all(r["status"] != "error" for r in first + second)
    async with runtime.sessionmaker() as db:
        count = await db.scalar(text("SELECT count(*) FROM client WHERE partner_id = :p"), {"p": partner})
        ids = await db.scalar(text("SELECT count(*) FROM client_external_id WHERE partner_id = :p"), {"p": partner})
    assert count == 60 and ids == 60


async def test_batch_falls_back_to_item_by_item_when_the_fast_path_is_refused(http, monkeypatch):
    """A concurrent change that makes the batched flush fail is absorbed: the batch is redone
    item by item, with the same results."""
    from sqlalchemy.exc import IntegrityError

    import core.imports.service as service

    async def refused(*args, **kwargs):
        raise IntegrityError("INSERT", {}, Exception("duplicate key"))

    monkeypatch.setattr(service, "_whole_batch", refused)
    _, staff = await partner_with_staff(http)
    results = await imp(http, staff, person("FB-1", "+79161239001"), person("FB-2", "bad"))
    assert [r["status"] for r in results] == ["created", "error"]


async def test_items_of_one_batch_see_each_other(http):
    """Rules: IMPORT-03, IMPORT-02D within one batch: later items match the cards earlier ones made."""
    _, staff = await partner_with_staff(http)
    results = await imp(http, staff, person("S-1", "+79161238001"), person("S-2", "+79161238001", first="Анна"),
                        person("S-3", "+79161238002"), person("S-3", "+79161238003", external_id_note="новый"),
                        person("S-1", "+79161238001", last="Петрова"))
    assert [r["status"] for r in results] == ["created", "external_id_added", "created", "updated", "updated"]
    first = await card(http, staff, results[0]["client_id"])
    assert sorted(e["value"] for e in first["external_ids"]) == ["S-1", "S-2"] and first["last_name"] == "Петрова"
    moved = await card(http, staff, results[2]["client_id"])
    assert moved["phone"] == "+79161238003" and moved["external_ids"] == [{"value": "S-3", "note": "новый"}]


def _premise(obj: str, clients=None, **extra) -> dict:
    item = {"external_id": "P-60", "object_id": obj, "type": "apartment", "street": "Ленина", "house": "5",
            "number": "60", **extra}
    if clients is not None:
        item["clients"] = clients
    return item


async def test_import_06_an_item_without_clients_leaves_every_link(http):
    """Rule: IMPORT-06 — an item that carries no `clients` key (a 1C job updating areas) leaves
    the owners and their dependants linked; `clients: []` does replace them (here: none left)."""
    partner, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    key = await api_key_headers(http, partner)
    owner = {**person("O-60", "+79161230060", last="Владелец"), "role": "owner"}
    family = {**person("F-60", "+79161230061", last="Семья"), "role": "resident"}
    [first] = expect(await http.post("/crm/v1/import/premises", headers=key, json={
        "items": [_premise(obj, [owner, family])]}), 200)["results"]
    premise = first["premise_id"]
    [areas] = expect(await http.post("/crm/v1/import/premises", headers=key, json={
        "items": [_premise(obj, total_area="64.5")]}), 200)["results"]
    assert areas["status"] == "updated" and "clients" not in areas
    c = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    assert c["total_area"] == "64.50"
    assert sorted(x["role"] for x in c["clients"]) == ["owner", "resident"]
    [emptied] = expect(await http.post("/crm/v1/import/premises", headers=key, json={
        "items": [_premise(obj, [])]}), 200)["results"]
    assert emptied["status"] == "updated"
    assert expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)["clients"] == []


async def test_import_06_client_errors_keep_the_message_and_name_the_client(http):
    """Rule: IMPORT-06, IMPORT-02B — an error about an item's client carries the rule's message
    verbatim in `detail` and names the client in fields of its own."""
    partner, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    owner = {**person("O-61", "+79161230062"), "role": "owner"}
    [c] = await imp(http, staff, person("1C-61", "+79161230063", last="Вошедшая"))
    await login_resident(http, "+79161230063")
    moved = {**person("1C-61", "+79161230064", last="Вошедшая"), "role": "resident"}
    [result] = expect(await http.post("/crm/v1/import/premises", headers=staff, json={
        "items": [_premise(obj, [owner, moved])]}), 200)["results"]
    assert result["status"] == "error" and result["code"] == "client_logged_in", result
    assert result["detail"] == LOGGED_IN
    assert (result["client_index"], result["client_external_id"]) == (1, "1C-61")
    assert (await card(http, staff, c["client_id"]))["phone"] == "+79161230063"


async def test_import_06_client_errors_of_a_file_point_at_the_clients_column(http, runtime):
    """Rules: IMPORT-06, IMPORT-08 — in a file, a client's refusal is reported in that client's
    column (the phone for IMPORT-02B) with the rule's message verbatim."""
    from core.imports.jobs import run_import_jobs

    partner, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    await imp(http, staff, person("1C-62", "+79161230065"))
    await login_resident(http, "+79161230065")
    xml = (f'<import><premise external_id="P-62" object_id="{obj}" type="apartment" street="Ленина" house="5" '
           f'number="62"><client external_id="1C-62" phone="+79161230066" last_name="Иванова" first_name="Анна" '
           f'role="owner"/></premise></import>')
    job = expect(await http.post("/crm/v1/import/premises/file", headers=staff,
                                 files={"file": ("p.xml", xml.encode(), "application/xml")}), 202)
    async with runtime.sessionmaker() as db:
        await run_import_jobs(runtime, db)
    done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)
    assert done["errors"] == [{"row": 1, "column": "Телефон", "message": LOGGED_IN}], done


async def test_premise_link_unconfirmed_owner_depends_on_nobody(http):
    """Rule: CRM-LINK-01, IMPORT-06 — an unconfirmed owner exists while no confirmed owner is
    registered: staff link one without naming an owner, in the CRM and by import; a resident
    then depends on the unconfirmed owner."""
    partner, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    premise = await make_premise(http, staff, obj, "61")
    pending = await make_client(http, staff, "Ожидающий", "Олег")
    linked = await link(http, staff, premise, pending, "unconfirmed_owner")
    assert linked.get("depends_on_client_id") is None
    family = await make_client(http, staff, "Семейный", "Сергей")
    assert (await link(http, staff, premise, family, "resident", depends_on_client_id=pending))["role"] == "resident"
    unconfirmed = {**person("U-63", "+79161230067", last="Неподтверждённая"), "role": "unconfirmed_owner"}
    tenant = {**person("T-63", "+79161230068", last="Арендатор"), "role": "tenant", "rent_day": 5}
    [result] = expect(await http.post("/crm/v1/import/premises", headers=staff, json={
        "items": [_premise(obj, [unconfirmed, tenant], external_id="P-63", number="63")]}), 200)["results"]
    assert result["status"] == "created", result
    c = expect(await http.get(f"/crm/v1/premises/{result['premise_id']}", headers=staff), 200)
    roles = {x["role"]: x for x in c["clients"]}
    assert roles["unconfirmed_owner"]["depends_on_client_id"] is None
    assert roles["tenant"]["depends_on_client_id"] == roles["unconfirmed_owner"]["client_id"]
