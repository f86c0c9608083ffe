"""File imports at size, on a fresh database of their own (no large dataset needed):

- grouping the rows of one premise (BENCH_PREMISE_ROWS rows, default 20,000, each with its own
  personal account) into one import item: the CPU cost alone, which used to grow with the
  square of the rows;
- an Excel file of each size in BENCH_IMPORT_FILE_ROWS client rows (a comma list, default
  5000,50000; 300,000 is the cap of one file) imported by the worker's job in a process of its
  own: rows/s and the process's peak RSS, which must not grow with the file (the target: the
  largest file's peak within 1.1x of the smallest's).

    python -m bench import_file
    BENCH_IMPORT_FILE_ROWS=5000,300000 BENCH_PREMISE_ROWS=5000 python -m bench import_file"""

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
from pathlib import Path

from sqlalchemy import text

from bench import Figure
from bench.import_throughput import excel_clients_file

ROOT = Path(__file__).resolve().parent.parent
RSS_GROWTH = 1.1


def main(argv: list[str]) -> list[Figure] | None:
    if argv[:1] == ["--job"]:
        print(json.dumps(asyncio.run(_job(argv[1], int(argv[2])))), flush=True)
        return None
    premise_rows = int(os.environ.get("BENCH_PREMISE_ROWS", "20000"))
    sizes = [int(n) for n in os.environ.get("BENCH_IMPORT_FILE_ROWS", "5000,50000").split(",") if n.strip()]
    seconds = _grouping(premise_rows)
    print(f"grouping one premise of {premise_rows:,} rows: {seconds:.3f} s ({premise_rows / seconds:,.0f} rows/s)",
          flush=True)
    peaks = {rows: asyncio.run(_file(rows)) for rows in sizes}
    if len(peaks) < 2:
        return []
    low, high = peaks[min(peaks)], peaks[max(peaks)]
    return [Figure("import_file", f"peak RSS of an Excel import, {min(peaks):,} -> {max(peaks):,} rows",
                   f"<= {RSS_GROWTH}x", f"{low:.0f} -> {high:.0f} MiB", high <= low * RSS_GROWTH)]


def _grouping(n: int) -> float:
    from core.imports import formats

    rows = [formats.Row(i + 2, {"external_id": "P-1", "account_external_id": f"LS-{i}", "account_number": f"N-{i}",
                                "client_external_id": f"C-{i}", "client_phone": f"+7916{i:07d}"})
            for i in range(n)]
    extra = (formats.Limits(premise_rows=n + 1),) if hasattr(formats, "Limits") else ()
    started = time.perf_counter()
    [(item, _, problem)] = list(formats.premise_items(rows, *extra))
    assert problem is None and len(item["accounts"]) == n
    return time.perf_counter() - started


async def _file(rows: int) -> float:
    """Import a file of `rows` rows in a process of its own; its peak RSS in MiB."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from core.infra.db import async_url
    from core.infra.migrate import upgrade_async
    from core.infra.runtime import database_url_of
    from core.infra.settings import load_settings

    base = make_url(async_url(database_url_of(load_settings())))
    admin = create_async_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"bench_import_{uuid.uuid4().hex[:6]}"
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_async(url)
        child = subprocess.run([sys.executable, "-m", "bench.import_file", "--job", url.replace("+asyncpg", ""),
                                str(rows)], capture_output=True, text=True, cwd=ROOT)
        if child.returncode:
            raise RuntimeError(f"the import job process failed: {child.stderr[-2000:]}")
        result = json.loads(child.stdout.strip().splitlines()[-1])
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
    print(f"Excel file of {rows:,} client rows ({result['mib']:.1f} MiB, written in {result['build']:.0f} s): "
          f"{result['status']} in {result['seconds']:.1f} s = {rows / result['seconds']:,.0f} rows/s, created "
          f"{result['created']:,}, errors {result['errors']}; peak RSS {result['peak_rss_mb']:.0f} MiB "
          f"(before the job {result['rss_before_mb']:.0f} MiB)", flush=True)
    return result["peak_rss_mb"]


async def _job(database_url: str, rows: int) -> dict:
    """Runs in a process of its own, so its peak RSS is its own."""
    import msgspec

    from core.infra.db import commit
    from core.enums import PERMISSIONS
    from core.imports.jobs import create_job, process
    from core.models import ImportJob, Partner
    from core.partners.service import PartnerPrincipal, create_api_key
    from core.process import open_runtime
    from core.infra.settings import load_settings

    settings = msgspec.structs.replace(load_settings(), database_url=database_url,
                                       var_dir=tempfile.mkdtemp(prefix="bench-import-file-"))
    rt = open_runtime(settings, pool_size=4)
    try:
        path = os.path.join(settings.var_dir, "clients.xlsx")
        started = time.perf_counter()
        await asyncio.to_thread(excel_clients_file, rows, path)
        build = time.perf_counter() - started
        async with rt.sessionmaker() as db:
            partner = Partner(name="Bench", kind="management")
            db.add(partner)
            await db.flush()
            # A real key: a file job looks its uploader up again when it runs (STAFF-01).
            key, _ = await create_api_key(db, partner.id, name="bench")
            actor = PartnerPrincipal(partner.id, "api_key", key.id, frozenset(PERMISSIONS))
            with open(path, "rb") as source:
                job = await create_job(rt, db, actor, kind="clients", fmt="xlsx", file_name="clients.xlsx",
                                       source=source)
            await commit(db)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        await process(rt, job.id)
        seconds = time.perf_counter() - started
        async with rt.sessionmaker() as db:
            done = await db.get(ImportJob, job.id)
        return {"seconds": seconds, "build": build, "mib": os.path.getsize(path) / (1 << 20), "status": done.status,
                "created": done.created, "errors": done.errors_count, "rss_before_mb": rss_before / 1024,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    finally:
        await rt.close()


if __name__ == "__main__":
    main(sys.argv[1:])
