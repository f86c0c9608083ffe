"""File import jobs against hostile files and slow or dying workers (IMPORT-08): grouping in
linear time, caps on rows per file and per premise, zip bombs refused before unpacking,
parsing off the event loop, a lease with a claim token, and a bounded number of attempts."""

from __future__ import annotations

import asyncio
import io
import random
import threading
import uuid
import zipfile
from datetime import timedelta

import msgspec
from openpyxl import load_workbook
import pytest

from core.imports import formats, jobs
from core.imports.jobs import claim, process
from tests.crm.estate import make_object, partner_with_staff
from tests.crm.test_excel import _run_jobs, _template_titles, _upload, _xlsx, premise_row
from tests.support import expect


@pytest.fixture
def limits(runtime, monkeypatch):
    def set_limits(**values):
        monkeypatch.setattr(runtime, "settings", msgspec.structs.replace(runtime.settings, **values))
    return set_limits


async def _job(http, staff, job) -> dict:
    return expect(await http.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)


class CountingStr(str):
    """A cell value that counts how often it is compared for equality."""

    comparisons = 0

    def __eq__(self, other):
        CountingStr.comparisons += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


def test_import_08_rows_of_one_premise_are_grouped_in_linear_time():
    """Rule: IMPORT-08 — the rows of one premise (here 3,000 accounts) are grouped with a
    number of comparisons linear in the rows: the old `account not in item["accounts"]` made
    4.5 million, and 20,000 rows took 7 s."""
    rows = [formats.Row(i + 2, {"external_id": "P-1", "account_external_id": CountingStr(f"LS-{i}"),
                                "account_number": CountingStr(f"N-{i}")}) for i in range(3000)]
    rows.append(formats.Row(3002, {"external_id": "P-1", "account_external_id": CountingStr("LS-7"),
                                   "account_number": CountingStr("N-7")}))
    CountingStr.comparisons = 0
    [(item, numbers, problem)] = formats.premise_items(rows, formats.Limits(premise_rows=10_000))
    assert problem is None and len(numbers) == 3001 and len(item["accounts"]) == 3000  # the repeat is one
    assert CountingStr.comparisons < 10 * len(rows)


async def test_import_08_a_premise_past_its_row_cap_is_one_error_naming_the_limit(http, runtime, limits):
    """Rule: IMPORT-08 — a premise with more rows than IMPORT_MAX_PREMISE_ROWS (Excel rows or
    XML children) is one row error naming the cap; the other premises are imported."""
    limits(import_max_premise_rows=3)
    _, staff = await partner_with_staff(http)
    obj = await make_object(http, staff)
    titles = await _template_titles(http, staff)
    big = [premise_row("1", obj, f"+7916555{i:04d}", **{"Роль": "Собственник"}) for i in range(4)]
    job = await _upload(http, staff, "premises", "p.xlsx", _xlsx(titles, [*big, premise_row("2", obj, "+79165559999")]))
    await _run_jobs(runtime)
    done = await _job(http, staff, job)
    assert (done["status"], done["processed"], done["created"], done["errors_count"]) == ("done", 5, 1, 1)
    assert done["errors"][0]["row"] == 2 and "не больше 3" in done["errors"][0]["message"]

    clients = "".join(f'<client external_id="X-{i}" phone="+7916444{i:04d}" last_name="Иванов" role="owner"/>'
                      for i in range(5))
    xml = (f'<import><premise external_id="P-9" object_id="{obj}" type="apartment" street="Ленина" house="5" '
           f'number="9">{clients}</premise><premise external_id="P-10" object_id="{obj}" type="apartment" '
           f'street="Ленина" house="5" number="10"/></import>')
    job = await _upload(http, staff, "premises", "p.xml", xml.encode())
    await _run_jobs(runtime)
    done = await _job(http, staff, job)
    assert (done["status"], done["created"], done["errors_count"]) == ("done", 1, 1)
    assert "не больше 3" in done["errors"][0]["message"]


async def test_import_08_a_file_past_the_row_cap_fails_naming_the_limit(http, runtime, limits):
    """Rule: IMPORT-08 — a file with more rows than IMPORT_MAX_ROWS stops at the cap: the job
    is `failed` with a message naming it (the rows before it are imported)."""
    limits(import_max_rows=3)
    _, staff = await partner_with_staff(http)
    titles = await _template_titles(http, staff, "clients")
    rows = [{"Внешний ID клиента": f"1C-{i}", "Телефон": f"+7916555{i:04d}", "Фамилия": "Орлова"} for i in range(5)]
    job = await _upload(http, staff, "clients", "c.xlsx", _xlsx(titles, rows))
    await _run_jobs(runtime)
    done = await _job(http, staff, job)
    assert (done["status"], done["processed"]) == ("failed", 3)
    assert "больше 3 строк" in done["failure"]


async def test_import_08_a_zip_bomb_is_refused_before_it_is_unpacked(http, runtime, limits, monkeypatch):
    """Rule: IMPORT-08 — an .xlsx whose parts unpack to far more than they are packed (or to
    more than IMPORT_MAX_UNPACKED_MB) fails before openpyxl reads any of it."""
    _, staff = await partner_with_staff(http)
    titles = await _template_titles(http, staff, "clients")
    good = _xlsx(titles, [{"Внешний ID клиента": "1C-1", "Телефон": "+79165550001", "Фамилия": "Орлова"}])

    def with_part(name: str, data: bytes) -> bytes:
        buffer = io.BytesIO(good)
        with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, data)
        return buffer.getvalue()

    opened = []
    original = formats.load_workbook
    monkeypatch.setattr(formats, "load_workbook", lambda *a, **k: opened.append(1) or original(*a, **k))
    bomb = await _upload(http, staff, "clients", "bomb.xlsx", with_part("xl/media/zeros.bin", bytes(30 << 20)))
    limits(import_max_unpacked_mb=1)
    large = await _upload(http, staff, "clients", "large.xlsx",
                          with_part("xl/media/noise.bin", random.Random(1).randbytes(2 << 20)))
    await _run_jobs(runtime)
    bomb, large = await _job(http, staff, bomb), await _job(http, staff, large)
    assert bomb["status"] == "failed" and "сжат подозрительно сильно" in bomb["failure"]
    assert large["status"] == "failed" and "больше 1 МБ" in large["failure"]
    assert opened == [] and bomb["processed"] == large["processed"] == 0


async def test_import_08_a_file_is_parsed_off_the_event_loop(http, runtime, monkeypatch):
    """Rule: IMPORT-08 — while a file is being read the event loop keeps running (here: the
    reader waits for a task of the loop; read on the loop it would wait for ever)."""
    _, staff = await partner_with_staff(http)
    titles = await _template_titles(http, staff, "clients")
    job = await _upload(http, staff, "clients", "c.xlsx", _xlsx(titles, [
        {"Внешний ID клиента": "1C-1", "Телефон": "+79165550001", "Фамилия": "Орлова"}]))
    reading, go_on = threading.Event(), threading.Event()
    original = formats.read_xlsx

    def reader(source, kind, limits):
        reading.set()
        if not go_on.wait(10):
            raise RuntimeError("the event loop stood still while the file was read")
        yield from original(source, kind, limits)

    async def loop_task():
        await asyncio.to_thread(reading.wait, 10)
        go_on.set()

    monkeypatch.setattr(formats, "read_xlsx", reader)
    helper = asyncio.create_task(loop_task())
    await _run_jobs(runtime)
    await helper
    done = await _job(http, staff, job)
    assert (done["status"], done["created"]) == ("done", 1)


async def test_import_08_a_worker_whose_lease_passed_overwrites_nothing(http, runtime, clock):
    """Rule: IMPORT-08 — worker A claims a job and stalls past its lease; worker B takes it over
    and finishes it; A's late run changes neither the counts nor the status."""
    _, staff = await partner_with_staff(http)
    titles = await _template_titles(http, staff, "clients")
    rows = [{"Внешний ID клиента": f"1C-{i}", "Телефон": f"+7916555{i:04d}", "Фамилия": "Орлова"} for i in range(3)]
    job = await _upload(http, staff, "clients", "c.xlsx", _xlsx(titles, rows))
    async with runtime.sessionmaker() as db:
        first = await claim(runtime, db)
        await db.commit()
    clock.advance(minutes=6)
    async with runtime.sessionmaker() as db:
        second = await claim(runtime, db)
        await db.commit()
    assert first[0] == second[0] == uuid.UUID(job["id"]) and first[1] != second[1]
    await process(runtime, *second)
    finished = await _job(http, staff, job)
    assert (finished["status"], finished["processed"], finished["created"]) == ("done", 3, 3)
    await process(runtime, *first)
    assert await _job(http, staff, job) == finished


async def test_import_08_a_job_whose_runs_keep_dying_fails_with_the_reason(http, runtime, clock):
    """Rule: IMPORT-08 — a job claimed IMPORT_MAX_ATTEMPTS times without finishing (its worker
    died each time) is `failed` with the reason instead of being retried for ever."""
    _, staff = await partner_with_staff(http)
    titles = await _template_titles(http, staff, "clients")
    job = await _upload(http, staff, "clients", "c.xlsx", _xlsx(titles, [
        {"Внешний ID клиента": "1C-1", "Телефон": "+79165550001", "Фамилия": "Орлова"}]))
    for _ in range(runtime.settings.import_max_attempts):
        async with runtime.sessionmaker() as db:
            assert await claim(runtime, db) is not None
            await db.commit()
        clock.advance(minutes=6)  # the worker died: its lease passes
    async with runtime.sessionmaker() as db:
        assert await claim(runtime, db) is None
        await db.commit()
    done = await _job(http, staff, job)
    assert done["status"] == "failed" and "3 раз" in done["failure"] and done["finished_at"]


async def test_import_08_blank_rows_and_far_columns_count_against_the_caps(http, runtime, limits):
    """Rule: IMPORT-08 — a tiny file whose only data sits at row 5,000 and column 16,000 reads
    as thousands of blank rows: they count against IMPORT_MAX_ROWS (the job fails naming it)
    and the far column is never read."""
    limits(import_max_rows=1000)
    _, staff = await partner_with_staff(http)
    titles = await _template_titles(http, staff, "clients")
    book = load_workbook(io.BytesIO(_xlsx(titles, [{"Внешний ID клиента": "1C-1", "Телефон": "+79165550001",
                                                    "Фамилия": "Орлова"}])))
    book.active.cell(5000, 16000, "далеко")
    buffer = io.BytesIO()
    book.save(buffer)
    job = await _upload(http, staff, "clients", "far.xlsx", buffer.getvalue())
    await _run_jobs(runtime)
    done = await _job(http, staff, job)
    assert (done["status"], done["created"]) == ("failed", 1) and "больше 1" in done["failure"]


@pytest.mark.committed
async def test_import_08_a_running_job_renews_its_lease(http, runtime, clock, monkeypatch):
    """Rule: IMPORT-08 — while a file takes longer than the lease to read, the run renews its
    lease, so no other worker takes the job over (and imports it a second time) meanwhile."""
    _, staff = await partner_with_staff(http)
    titles = await _template_titles(http, staff, "clients")
    job = await _upload(http, staff, "clients", "c.xlsx", _xlsx(titles, [
        {"Внешний ID клиента": "1C-1", "Телефон": "+79165550001", "Фамилия": "Орлова"}]))
    reading, go_on = threading.Event(), threading.Event()
    original = formats.read_xlsx

    def slow_reader(source, kind, limits):
        reading.set()
        go_on.wait(30)
        yield from original(source, kind, limits)

    renewed_late = asyncio.Event()
    renew = jobs._renew
    late = clock.now() + timedelta(minutes=4)

    async def observed_renew(rt, job_id, token):
        await renew(rt, job_id, token)
        if rt.clock.now() >= late:
            renewed_late.set()

    monkeypatch.setattr(formats, "read_xlsx", slow_reader)
    monkeypatch.setattr(jobs, "RENEW_SECONDS", 0.05)
    monkeypatch.setattr(jobs, "_renew", observed_renew)
    run = asyncio.create_task(process(runtime, uuid.UUID(job["id"])))
    try:
        assert await asyncio.to_thread(reading.wait, 30)
        clock.advance(minutes=4)
        await asyncio.wait_for(renewed_late.wait(), timeout=30)
        clock.advance(minutes=2)  # past the lease the run started with
        async with runtime.sessionmaker() as db:
            assert await claim(runtime, db) is None
            await db.commit()
    finally:
        go_on.set()
        await asyncio.wait_for(run, timeout=60)
    done = await _job(http, staff, job)
    assert (done["status"], done["created"]) == ("done", 1)
