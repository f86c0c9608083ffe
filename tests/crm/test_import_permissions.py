"""The client part of every import needs `clients.edit` (STAFF-01): JSON or file, premises or
clients. Without it the premise and its accounts are still imported, but no client card, phone,
external id or link changes — a staff member without permissions must not be able to link their
own phone as the owner of someone's flat and read its bills in the app."""

from __future__ import annotations

from sqlalchemy import text

from core.imports.jobs import run_import_jobs
from tests.crm.estate import make_object, partner_with_staff
from tests.support import ADMIN, ALL_PERMISSIONS, expect, login_resident, staff_headers

INTRUDER_PHONE = "+79165550999"
WITHOUT_CLIENTS_EDIT = [p for p in ALL_PERMISSIONS if p != "clients.edit"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def premise_item(obj: str, clients: list[dict] | None, **extra) -> dict:
    item = {"external_id": "P-1", "object_id": obj, "type": "apartment", "street": "Ленина", "house": "5",
            "number": "1", "accounts": [{"external_id": "LS-1", "number": "001"}], **extra}
    if clients is not None:
        item["clients"] = clients
    return item


OWNER = {"external_id": "1C-OWNER", "phone": "+79165550100", "last_name": "Владелец", "first_name": "Анна",
         "role": "owner"}
HIJACK = [{"external_id": "1C-OWNER", "phone": INTRUDER_PHONE, "last_name": "Захватчик", "first_name": "Пётр",
           "role": "owner"}]


async def _client_side(db, partner: str) -> dict[str, list]:
    """Every row about the partner's clients and the links of its premises."""
    queries = {
        "client": "SELECT id, phone, last_name, first_name, updated_at FROM client WHERE partner_id = :p",
        "external": "SELECT client_id, value, note FROM client_external_id WHERE partner_id = :p",
        "history": "SELECT client_id, phone FROM client_phone_history WHERE partner_id = :p",
        "link": "SELECT premise_id, client_id, role, depends_on_client_id FROM premise_link WHERE partner_id = :p",
    }
    return {name: sorted(map(tuple, (await db.execute(text(sql + " ORDER BY 1, 2"), {"p": partner})).all()))
            for name, sql in queries.items()}


async def _world(http):
    partner, boss = await partner_with_staff(http)
    obj = await make_object(http, boss)
    [seeded] = expect(await http.post("/crm/v1/import/premises", headers=boss, json={
        "items": [premise_item(obj, [OWNER])]}), 200)["results"]
    assert seeded["status"] == "created", seeded
    return partner, boss, obj, seeded["premise_id"]


async def _run_jobs(runtime) -> None:
    async with runtime.sessionmaker() as db:
        await run_import_jobs(runtime, db)


def _xml(obj: str, client: dict | None, area: str = "70") -> bytes:
    inner = ""
    if client is not None:
        inner = "".join(f' {k}="{v}"' for k, v in client.items())
        inner = f"<client{inner}/>"
    return (f'<import><premise external_id="P-1" object_id="{obj}" type="apartment" street="Ленина" house="5" '
            f'number="1" total_area="{area}">{inner}</premise></import>').encode()


async def test_staff_01_premises_import_without_clients_edit_refuses_every_client_part(http, db):
    """Rule: STAFF-01 — a staff member without `clients.edit` (here: every other permission)
    imports premises by JSON: the premise and its accounts are updated, each client of an item
    answers `permission_required`, and no client, phone, external id or link changes — neither
    renaming nor re-phoning the owner, nor dropping the owners with `clients: []`; the intruder's
    phone never becomes an owner, so its app sees no premise."""
    partner, boss, obj, premise = await _world(http)
    clerk = await staff_headers(http, partner, WITHOUT_CLIENTS_EDIT)
    before = await _client_side(db, partner)
    for clients in (HIJACK, [], [{**OWNER, "last_name": "Переименованная"}]):
        [result] = expect(await http.post("/crm/v1/import/premises", headers=clerk, json={
            "items": [premise_item(obj, clients, total_area="71")]}), 200)["results"]
        assert result["status"] == "updated" and result["premise_id"] == premise, result
        assert result["code"] == "permission_required" and "clients.edit" in result["detail"], result
        assert [c["code"] for c in result.get("clients", [])] == ["permission_required"] * len(clients), result
        assert await _client_side(db, partner) == before, clients
    card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=boss), 200)
    assert card["total_area"] == "71.00"
    assert [c["phone"] for c in card["clients"]] == [OWNER["phone"]]
    # The JSON clients import is refused as a whole.
    refused = await http.post("/crm/v1/import/clients", headers=clerk, json={"items": [HIJACK[0]]})
    assert refused.status_code == 403 and refused.json()["code"] == "permission_required"
    assert await _client_side(db, partner) == before
    intruder = await login_resident(http, INTRUDER_PHONE)
    mine = expect(await http.get("/app/v1/screens/my-premises",
                                 headers={"Authorization": f"Bearer {intruder['access_token']}"}), 200)
    assert mine["items"] == []


async def test_staff_01_file_import_without_clients_edit_changes_no_client(http, db, runtime):
    """Rule: STAFF-01 — the same through an XML file job: the premise is updated, each row with a
    client is reported with the permission refusal in the client's column, no client or link
    changes. A clients file job is refused too."""
    partner, boss, obj, premise = await _world(http)
    clerk = await staff_headers(http, partner, WITHOUT_CLIENTS_EDIT)
    before = await _client_side(db, partner)
    job = expect(await http.post("/crm/v1/import/premises/file", headers=clerk, files={
        "file": ("p.xml", _xml(obj, {k: v for k, v in HIJACK[0].items()}, "72"), "application/xml")}), 202)
    await _run_jobs(runtime)
    done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=clerk), 200)
    assert done["status"] == "done" and done["updated"] == 1, done
    assert [(e["row"], e["column"]) for e in done["errors"]] == [(1, "Внешний ID клиента")], done
    assert "clients.edit" in done["errors"][0]["message"]
    assert await _client_side(db, partner) == before
    assert expect(await http.get(f"/crm/v1/premises/{premise}", headers=boss), 200)["total_area"] == "72.00"


async def test_staff_01_a_file_job_checks_the_uploaders_permissions_when_it_runs(http, db, runtime):
    """Rule: STAFF-01 — a file job runs with the uploader's permissions as they are when it runs:
    a role that lost `clients.edit` after the upload changes no client; a deactivated uploader's
    job fails and changes nothing at all."""
    partner, boss, obj, premise = await _world(http)
    role = expect(await http.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN, json={
        "name": "Оператор", "permissions": ALL_PERMISSIONS}), 201)["id"]
    expect(await http.post(f"/crm/v1/partners/{partner}/staff", headers=ADMIN, json={
        "email": "uploader@example.com", "password": "correct horse battery", "name": "Оператор", "role_id": role}), 201)
    token = expect(await http.post("/crm/v1/auth/login", json={
        "email": "uploader@example.com", "password": "correct horse battery"}), 200)["access_token"]
    uploader = {"Authorization": f"Bearer {token}"}
    before = await _client_side(db, partner)
    job = expect(await http.post("/crm/v1/import/premises/file", headers=uploader, files={
        "file": ("p.xml", _xml(obj, HIJACK[0], "73"), "application/xml")}), 202)
    clients_job = expect(await http.post("/crm/v1/import/clients/file", headers=uploader, files={
        "file": ("c.xml", f'<import><client external_id="1C-OWNER" phone="{INTRUDER_PHONE}" last_name="Захватчик" '
                          f'first_name="Пётр"/></import>'.encode(), "application/xml")}), 202)
    expect(await http.patch(f"/crm/v1/partners/{partner}/roles/{role}", headers=ADMIN,
                            json={"permissions": WITHOUT_CLIENTS_EDIT}), 200)
    await _run_jobs(runtime)
    assert await _client_side(db, partner) == before
    done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=boss), 200)
    assert done["updated"] == 1 and done["errors_count"] == 1, done
    refused = expect(await http.get(f"/crm/v1/import/jobs/{clients_job['id']}", headers=boss), 200)
    assert refused["created"] == refused["updated"] == 0 and refused["status"] == "failed", refused
    # Deactivated after uploading: the job stops before it changes anything.
    expect(await http.patch(f"/crm/v1/partners/{partner}/roles/{role}", headers=ADMIN,
                            json={"permissions": ALL_PERMISSIONS}), 200)
    late = expect(await http.post("/crm/v1/import/premises/file", headers=uploader, files={
        "file": ("p.xml", _xml(obj, HIJACK[0], "99"), "application/xml")}), 202)
    staff_id = next(s["id"] for s in expect(await http.get(f"/crm/v1/partners/{partner}/staff", headers=ADMIN),
                                             200)["items"] if s["email"] == "uploader@example.com")
    expect(await http.patch(f"/crm/v1/partners/{partner}/staff/{staff_id}", headers=ADMIN, json={"active": False}),
           200)
    await _run_jobs(runtime)
    failed = expect(await http.get(f"/crm/v1/import/jobs/{late['id']}", headers=boss), 200)
    assert failed["status"] == "failed" and failed["failure"], failed
    assert await _client_side(db, partner) == before
    assert expect(await http.get(f"/crm/v1/premises/{premise}", headers=boss), 200)["total_area"] == "73.00"
