"""Import throughput (issue 4) on the large partner of bench/dataset.py: API batches of 1,000 new
clients and batches that only update, in items/s (target ≥ 2,000), and an Excel file of
50,000 rows imported by the worker's job with its peak RSS (flat memory: compared with 5,000).

    python -m bench import_throughput
    BENCH_IMPORT_BATCHES=3 BENCH_EXCEL_ROWS=5000 python -m bench import_throughput   # quicker"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid

from bench.dataset import build, params_from_env

NEW_PREFIX = "+7995"
EXCEL_PREFIX = "+7996"


def _items(batch: int, size: int) -> list[dict]:
    return [{"external_id": f"BENCH-{batch}-{i}", "phone": f"{NEW_PREFIX}{batch:03d}{i:04d}",
             "last_name": "Импортова", "first_name": "Анна", "middle_name": "Петровна",
             "email": f"bench{batch}.{i}@example.com"} for i in range(size)]


def _runtime(database_url: str):
    from core.process import open_runtime
    from core.infra.settings import load_settings

    settings = load_settings(database_url=database_url, var_dir=tempfile.mkdtemp(prefix="bench-import-"))
    return open_runtime(settings, pool_size=4)


async def _cleanup(rt, partner_id: str, prefix: str) -> None:
    from sqlalchemy import text

    async with rt.engine.begin() as connection:
        await connection.execute(text("DELETE FROM client WHERE partner_id = :p AND phone LIKE :x"),
                                 {"p": partner_id, "x": prefix + "%"})
        await connection.execute(text("DELETE FROM audit_record WHERE partner_id = :p"), {"p": partner_id})


async def api_throughput(dataset, batches: int) -> dict:
    from core.imports.service import import_clients

    rt = _runtime(dataset.database_url)
    actor = dataset.actor()
    try:
        await _cleanup(rt, dataset.partner_id, NEW_PREFIX)
        figures = {}
        for label in ("new clients", "update only"):
            started = time.perf_counter()
            statuses: dict[str, int] = {}
            for batch in range(batches):
                for result in await import_clients(rt, actor, _items(batch, 1000)):
                    statuses[result.status] = statuses.get(result.status, 0) + 1
            seconds = time.perf_counter() - started
            figures[label] = (batches * 1000 / seconds, seconds, statuses)
        await _cleanup(rt, dataset.partner_id, NEW_PREFIX)
        return figures
    finally:
        await rt.close()


def excel_clients_file(rows: int, path: str) -> None:
    """A clients file of `rows` rows in the import template (phones from EXCEL_PREFIX)."""
    from openpyxl import Workbook

    from core.imports.formats import CLIENT_COLUMNS

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Клиенты")
    sheet.append([c.title for c in CLIENT_COLUMNS])
    keys = [c.key for c in CLIENT_COLUMNS]
    for i in range(rows):
        values = {"external_id": f"XLS-{i}", "phone": f"{EXCEL_PREFIX}{i:07d}", "last_name": "Файлова",
                  "first_name": "Ольга", "email": f"xls{i}@example.com", "birth_date": "17.05.1990"}
        sheet.append([values.get(k) for k in keys])
    book.save(path)


async def excel_job(database_url: str, partner_id: str, staff_id: str, rows: int) -> dict:
    """Runs in a process of its own, so its peak RSS is its own."""
    from core.infra.db import commit
    from core.enums import PERMISSIONS
    from core.imports.jobs import create_job, process
    from core.models import ImportJob
    from core.partners.service import PartnerPrincipal

    rt = _runtime(database_url)
    actor = PartnerPrincipal(uuid.UUID(partner_id), "staff", uuid.UUID(staff_id), frozenset(PERMISSIONS))
    try:
        await _cleanup(rt, partner_id, EXCEL_PREFIX)
        path = os.path.join(rt.settings.var_dir, "clients.xlsx")
        await asyncio.to_thread(excel_clients_file, rows, path)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        async with rt.sessionmaker() as db:
            with open(path, "rb") as source:
                job = await create_job(rt, db, actor, kind="clients", fmt="xlsx", file_name="clients.xlsx",
                                       source=source)
            await commit(db)
        started = time.perf_counter()
        await process(rt, job.id)
        seconds = time.perf_counter() - started
        async with rt.sessionmaker() as db:
            done = await db.get(ImportJob, job.id)
        await _cleanup(rt, partner_id, EXCEL_PREFIX)
        return {"rows": rows, "seconds": seconds, "status": done.status, "created": done.created,
                "errors": done.errors_count, "rss_before_mb": rss_before / 1024,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    finally:
        await rt.close()


def _excel_in_subprocess(dataset, rows: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "bench.import_throughput", "--excel-job", dataset.database_url,
                          dataset.partner_id, dataset.staff_id, str(rows)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> None:
    if argv[:1] == ["--excel-job"]:
        url, partner, staff, rows = argv[1:5]
        print(json.dumps(asyncio.run(excel_job(url, partner, staff, int(rows)))))
        return
    dataset = asyncio.run(build(**params_from_env(argv)))
    batches = int(os.environ.get("BENCH_IMPORT_BATCHES", "10"))
    figures = asyncio.run(api_throughput(dataset, batches))
    print(f"API import into a partner of {dataset.rows.get('client', 0):,} clients, batches of 1,000:")
    for label, (rate, seconds, statuses) in figures.items():
        verdict = "meets" if rate >= 2000 else "misses"
        print(f"  {label:12s} {rate:8,.0f} items/s ({batches * 1000:,} items in {seconds:.1f} s; {statuses}) "
              f"— {verdict} the 2,000 items/s target")
    rows = int(os.environ.get("BENCH_EXCEL_ROWS", "50000"))
    for size in sorted({max(1, rows // 10), rows}):
        result = _excel_in_subprocess(dataset, size)
        print(f"  Excel {size:>7,} rows: {result['seconds']:.1f} s ({size / result['seconds']:,.0f} rows/s), "
              f"{result['status']}, created {result['created']:,}, errors {result['errors']}, "
              f"peak RSS {result['peak_rss_mb']:.0f} MiB (before the job {result['rss_before_mb']:.0f} MiB)")


if __name__ == "__main__":
    main(sys.argv[1:])
