"""Excel and XML import as jobs, the shared template, and exports (IMPORT-08, STAFF-01)."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import Workbook, load_workbook

from core.imports.jobs import run_import_jobs
from tests.crm.estate import link, make_client, make_object, make_premise, partner_with_staff
from tests.support import expect, staff_headers

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _template_titles(http, staff, kind="premises") -> list[str]:
    response = await http.get(f"/crm/v1/import/{kind}/template", headers=staff)
    assert response.status_code == 200 and response.headers["content-type"].startswith(XLSX)
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[1] == "Инструкция"
    return [c.value for c in book.worksheets[0][1]]


def _xlsx(titles: list[str], rows: list[dict[str, object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(titles)
    plain = [t.replace(" *", "") for t in titles]
    for row in rows:
        sheet.append([row.get(t) for t in plain])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


async def _upload(http, staff, kind: str, name: str, content: bytes, status: int = 202) -> dict:
    response = await http.post(f"/crm/v1/import/{kind}/file", headers=staff,
                               files={"file": (name, content, XLSX if name.endswith("xlsx") else "application/xml")})
    return expect(response, status)


async def _run_jobs(runtime) -> None:
    async with runtime.sessionmaker() as db:
        await run_import_jobs(runtime, db)


def premise_row(number: str, obj: str, phone: str, **extra) -> dict[str, object]:
    return {"Внешний ID помещения": f"P-{number}", "ID объекта": obj, "Тип помещения": "Квартира", "Улица": "Ленина",
            "Дом": "5", "Номер помещения": number, "Общая площадь": 50, "Внешний ID клиента": f"C-{phone[-4:]}",
            "Телефон": phone, "Фамилия": "Иванова", "Имя": "Анна", "Роль": "Собственник", **extra}


async def test_import_08_excel_rows_with_errors_report_row_and_column(http, runtime):
    """Rule: IMPORT-08 — one template; row-level errors with row numbers; rows in error change nothing."""
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    titles = await _template_titles(http, staff)
    assert "Внешний ID помещения *" in titles and "Телефон" in titles
    rows = [premise_row("1", obj, "+79165550001"),
            premise_row("1", obj, "+79165550002", **{"Фамилия": "Иванов", "Имя": "Пётр", "Роль": "Житель"}),
            premise_row("2", obj, "не телефон"),
            premise_row("3", obj, "+79165550003", **{"Общая площадь": 40, "Жилая площадь": 45}),
            premise_row("4", obj, "+79165550004")]
    job = await _upload(http, staff, "premises", "premises.xlsx", _xlsx(titles, rows))
    assert job["status"] == "pending"
    await _run_jobs(runtime)
    done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)
    assert (done["status"], done["processed"], done["created"], done["errors_count"]) == ("done", 5, 2, 2)
    assert [(e["row"], e["column"]) for e in done["errors"]] == [(4, "Телефон"), (5, "Жилая площадь")]
    listed = expect(await http.get("/crm/v1/premises", headers=staff), 200)["items"]
    assert sorted(p["number"] for p in listed) == ["1", "4"]
    first = next(p for p in listed if p["number"] == "1")
    assert sorted(c["role"] for c in first["clients"]) == ["owner", "resident"]


async def test_rows_of_one_premise_must_follow_each_other(http, runtime):
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    titles = await _template_titles(http, staff)
    rows = [premise_row("1", obj, "+79165550011"), premise_row("2", obj, "+79165550012"),
            premise_row("1", obj, "+79165550013")]
    job = await _upload(http, staff, "premises", "p.xlsx", _xlsx(titles, rows))
    await _run_jobs(runtime)
    done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)
    assert [e["row"] for e in done["errors"]] == [4] and done["created"] == 2


async def test_import_08_xml_file_goes_through_the_same_pipeline(http, runtime):
    """Rule: IMPORT-08 — the documented XML format is imported like Excel."""
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    example = (Path(__file__).parent / "data" / "premises-import.xml").read_text().replace("OBJECT_ID", obj)
    job = await _upload(http, staff, "premises", "premises.xml", example.encode())
    await _run_jobs(runtime)
    done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)
    assert (done["status"], done["created"], done["errors_count"]) == ("done", 2, 0)
    listed = expect(await http.get("/crm/v1/premises", headers=staff, params={"q": "Иванова"}), 200)["items"]
    assert sorted(p["number"] for p in listed) == ["100", "М-1"]


async def test_broken_file_fails_the_job_clearly(http, runtime):
    _, staff = await partner_with_staff(http)
    job = await _upload(http, staff, "premises", "broken.xlsx", b"not a workbook")
    await _run_jobs(runtime)
    done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)
    assert done["status"] == "failed" and done["failure"]
    wrong = await http.post("/crm/v1/import/premises/file", headers=staff, files={"file": ("a.csv", b"x", "text/csv")})
    assert wrong.status_code == 400


async def test_staff_01_premises_by_excel_without_premises_edit(http, runtime):
    """Rule: STAFF-01 — without `premises.edit` a staff member still imports and exports premises by Excel."""
    partner, admin = await partner_with_staff(http)
    obj = await make_object(http, admin)
    clerk = await staff_headers(http, partner, ["clients.pii.name", "clients.pii.contacts"])
    assert (await http.post("/crm/v1/premises", headers=clerk, json={
        "object_id": obj, "type": "apartment", "street": "Л", "house": "1", "number": "1"})).status_code == 403
    titles = await _template_titles(http, clerk)
    job = await _upload(http, clerk, "premises", "p.xlsx", _xlsx(titles, [premise_row("7", obj, "+79165550070")]))
    await _run_jobs(runtime)
    assert expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=clerk), 200)["created"] == 1
    exported = await http.get("/crm/v1/export/premises", headers=clerk)
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    assert sheet.cell(2, 1).value == "P-7"
    # Clients by file need `clients.edit`.
    assert (await http.post("/crm/v1/import/clients/file", headers=clerk,
                            files={"file": ("c.xlsx", b"x", XLSX)})).status_code == 403


async def test_export_uses_the_template_columns_filters_and_masking(http, runtime):
    """Rules: CRM-PREM-01 (export columns), STAFF-02 (exports masked too)."""
    partner, admin = await partner_with_staff(http)
    obj = await make_object(http, admin)
    premise = await make_premise(http, admin, obj, "12", total_area=54.3, external_id="P-12")
    other = await make_premise(http, admin, obj, "13", type="storage")
    client = await make_client(http, admin, "Иванова", "Анна", "+79165550120")
    await link(http, admin, premise, client, ddu_number="ДДУ-7", ddu_date="2024-02-01")
    expect(await http.post(f"/crm/v1/premises/{premise}/accounts", headers=admin, json={"number": "0012"}), 201)
    response = await http.get("/crm/v1/export/premises", headers=admin, params={"type": "apartment"})
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    header = [c.value for c in sheet[1]]
    values = dict(zip(header, [c.value for c in sheet[2]]))
    assert sheet.max_row == 2  # the storage room is filtered out
    assert values["Адрес"] == "ул. Ленина, д. 5, кв. 12" and values["Лицевой счёт"] == "0012"
    assert values["Фамилия"] == "Иванова" and values["ДДУ №, дата"] == "ДДУ-7, 01.02.2024"
    assert values["Общая площадь"] == 54.3 and values["Роль"] == "Собственник"
    blind = await staff_headers(http, partner, [])
    masked = load_workbook(io.BytesIO((await http.get("/crm/v1/export/premises", headers=blind)).content)).worksheets[0]
    assert "Иванова" not in str([[c.value for c in r] for r in masked.iter_rows()])
    assert other


async def test_client_export_needs_reports_and_masks(http):
    """Rule: CRM-CLI-01 — client export columns; STAFF-02 masking."""
    partner, admin = await partner_with_staff(http)
    await make_client(http, admin, "Иванова", "Анна", "+79165550130", external_ids=[{"value": "1C-130"}])
    response = await http.get("/crm/v1/export/clients", headers=admin)
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    values = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]]))
    assert values["Телефон"] == "+79165550130" and values["Все внешние ID"] == "1C-130"
    reports_only = await staff_headers(http, partner, ["reports.clients"])
    masked = load_workbook(io.BytesIO((await http.get("/crm/v1/export/clients", headers=reports_only)).content))
    assert "+79165550130" not in str([[c.value for c in r] for r in masked.worksheets[0].iter_rows()])
    nobody = await staff_headers(http, partner, [])
    assert (await http.get("/crm/v1/export/clients", headers=nobody)).status_code == 403


async def test_clients_file_import(http, runtime):
    _, staff = await partner_with_staff(http)
    titles = await _template_titles(http, staff, "clients")
    rows = [{"Внешний ID клиента": "1C-1", "Телефон": "8 916 555 02 01", "Фамилия": "Орлова", "Имя": "Ольга",
             "Дата рождения": "17.05.1990"},
            {"Внешний ID клиента": "1C-2", "Телефон": "+79165550202", "Фамилия": "Орлов2", "Имя": "Олег"}]
    job = await _upload(http, staff, "clients", "c.xlsx", _xlsx(titles, rows))
    await _run_jobs(runtime)
    done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)
    assert (done["created"], done["errors"]) == (1, [{"row": 3, "column": "Фамилия",
                                                      "message": "Допустимы только буквы, пробел, дефис и апостроф"}])
    found = expect(await http.get("/crm/v1/clients", headers=staff, params={"q": "Орлова"}), 200)["items"]
    assert found[0]["phone"] == "+79165550201"


async def test_import_06_excel_rows_without_client_columns_leave_the_owners(http, runtime):
    """Rule: IMPORT-06 — a premise's rows with no client column filled (a 1C file updating areas)
    say nothing about its people: the owners and their dependants stay linked."""
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    titles = await _template_titles(http, staff)
    first = premise_row("8", obj, "+79165550080")
    family = premise_row("8", obj, "+79165550081", **{"Фамилия": "Иванов", "Имя": "Пётр", "Роль": "Житель"})
    await _upload(http, staff, "premises", "p.xlsx", _xlsx(titles, [first, family]))
    await _run_jobs(runtime)
    areas = {k: v for k, v in first.items() if k in ("Внешний ID помещения", "ID объекта", "Тип помещения", "Улица",
                                                      "Дом", "Номер помещения")}
    job = await _upload(http, staff, "premises", "areas.xlsx", _xlsx(titles, [{**areas, "Общая площадь": 64}]))
    await _run_jobs(runtime)
    done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)
    assert (done["updated"], done["errors_count"]) == (1, 0), done
    [premise] = expect(await http.get("/crm/v1/premises", headers=staff), 200)["items"]
    assert premise["total_area"] == "64.00"
    assert sorted(c["role"] for c in premise["clients"]) == ["owner", "resident"]

async def test_import_08_jobs_list_and_progress_with_total_known_once_the_file_is_read(http, runtime, monkeypatch,
                                                                                      clock):
    """Rule: IMPORT-08, STAFF-04 — a file job shows `total` while it runs, and the partner lists its jobs."""
    from core.imports import jobs

    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    titles = await _template_titles(http, staff)
    rows = [premise_row(str(n), obj, f"+7916555{n:04d}") for n in range(1, 6)]
    job = await _upload(http, staff, "premises", "premises.xlsx", _xlsx(titles, rows))
    assert job["total"] is None and job["status"] == "pending"
    seen: list[tuple] = []
    run_chunk = jobs._run_chunk

    async def watched(*chunk):
        state = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)
        seen.append((state["status"], state["total"], state["processed"]))
        await run_chunk(*chunk)

    monkeypatch.setattr(jobs, "CHUNK", 2)
    monkeypatch.setattr(jobs, "_run_chunk", watched)
    await _run_jobs(runtime)
    assert seen == [("running", 5, 0), ("running", 5, 2), ("running", 5, 4)]
    done = expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)
    assert (done["status"], done["total"], done["processed"], done["created"], done["updated"]) == ("done", 5, 5, 5, 0)

    clock.advance(minutes=1)
    second = await _upload(http, staff, "premises", "again.xlsx", _xlsx(titles, rows[:1]))
    listed = expect(await http.get("/crm/v1/import/jobs", headers=staff), 200)
    assert [j["id"] for j in listed["items"]] == [second["id"], job["id"]]
    assert [j["id"] for j in expect(await http.get("/crm/v1/import/jobs", headers=staff,
                                                   params={"status": "done"}), 200)["items"]] == [job["id"]]
    page = expect(await http.get("/crm/v1/import/jobs", headers=staff, params={"limit": 1}), 200)
    rest = expect(await http.get("/crm/v1/import/jobs", headers=staff,
                                 params={"limit": 1, "cursor": page["next_cursor"]}), 200)
    assert [page["items"][0]["id"], rest["items"][0]["id"]] == [second["id"], job["id"]]
    _, foreign = await partner_with_staff(http, name="Чужая УК")
    assert expect(await http.get("/crm/v1/import/jobs", headers=foreign), 200)["items"] == []
    expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=foreign), 404)


async def test_crm_cli_01_client_export_fills_the_name_given_in_the_app(http):
    """Rule: CRM-CLI-01, STAFF-02 — the "Имя в приложении" column holds the account's own name, masked without
    `clients.pii.name`, and the client card shows the same name."""
    from tests.support import bearer, login_resident

    partner, admin = await partner_with_staff(http)
    client = await make_client(http, admin, "Иванова", "Анна", "+79165550140")
    await make_client(http, admin, "Петров", "Пётр", "+79165550141")  # never opened the app
    # The unified app's use shows to a partner where the account has a premise of it (STAFF-04).
    await link(http, admin, await make_premise(http, admin, await make_object(http, admin)), client)
    app = bearer((await login_resident(http, "+79165550140"))["access_token"])
    expect(await http.patch("/app/v1/me", headers=app, json={
        "last_name": "Сидорова", "first_name": "Анна", "middle_name": "Павловна"}), 200)

    sheet = load_workbook(io.BytesIO((await http.get("/crm/v1/export/clients", headers=admin)).content)).worksheets[0]
    titles = [c.value for c in sheet[1]]
    by_phone = {row[titles.index("Телефон")]: row[titles.index("Имя в приложении")]
                for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert by_phone == {"+79165550140": "Сидорова Анна Павловна", "+79165550141": None}
    card = expect(await http.get(f"/crm/v1/clients/{client}", headers=admin), 200)
    assert card["app_name"] == "Сидорова Анна Павловна"

    no_names = await staff_headers(http, partner, ["reports.clients", "clients.pii.contacts"])
    sheet = load_workbook(io.BytesIO((await http.get("/crm/v1/export/clients", headers=no_names)).content)).worksheets[0]
    cells = str([[c.value for c in r] for r in sheet.iter_rows()])
    assert "Сидорова" not in cells and "Павловна" not in cells
