"""File imports as jobs: the API stores the file and answers at once; a worker reads it as a
stream, feeds the rows to the API import pipeline in chunks and keeps the counts up to date.
A job whose worker died is picked up again after its lease (the import is idempotent)."""

from __future__ import annotations

import asyncio
import logging
import tempfile
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import commit
from core.imports import formats
from core.imports.service import ItemResult, import_clients, import_premises
from core.models import ImportJob
from core.pagination import keyset, page
from core.partners.service import PartnerPrincipal
from core.scope import owned
from core.runtime import Runtime
from core.storage import storage_of

log = logging.getLogger(__name__)
CHUNK = 500
LEASE = timedelta(minutes=5)
KEEP_ERRORS = 1000


async def create_job(rt: Runtime, db: AsyncSession, actor: PartnerPrincipal, *, kind: str, fmt: str,
                     file_name: str, source) -> ImportJob:
    job_id = uuid.uuid4()
    key = f"imports/{actor.partner_id}/{job_id}.{fmt}"
    await storage_of(rt).put(key, source)
    job = ImportJob(id=job_id, partner_id=actor.partner_id, actor_type=actor.actor_type, actor_id=str(actor.actor_id),
                    permissions=sorted(actor.permissions), kind=kind, format=fmt, file_name=file_name[:300],
                    storage_key=key, status="pending", processed=0, created=0, updated=0, errors_count=0, errors=[])
    db.add(job)
    await db.flush()
    return job


async def claim(rt: Runtime, db: AsyncSession) -> uuid.UUID | None:
    now = rt.clock.now()
    job = (await db.scalars(
        select(ImportJob).where(or_(ImportJob.status == "pending",
                                    (ImportJob.status == "running") & (ImportJob.lease_until < now)))
        .order_by(ImportJob.created_at).limit(1).with_for_update(skip_locked=True))).first()
    if job is None:
        return None
    job.status, job.started_at, job.lease_until = "running", now, now + LEASE
    job.processed = job.created = job.updated = job.errors_count = 0
    job.errors = []
    await db.flush()
    return job.id


async def run_import_jobs(rt: Runtime, db: AsyncSession) -> int:
    """The worker's periodic job: run every waiting import, one after another."""
    done = 0
    while True:
        job_id = await claim(rt, db)
        await commit(db)
        if job_id is None:
            return done
        await process(rt, job_id)
        done += 1


async def process(rt: Runtime, job_id: uuid.UUID) -> None:
    async with rt.sessionmaker() as db:
        job = await db.get(ImportJob, job_id)
    actor = PartnerPrincipal(job.partner_id, job.actor_type, uuid.UUID(job.actor_id), frozenset(job.permissions))
    try:
        with tempfile.TemporaryFile() as local:
            async for chunk in storage_of(rt).open(job.storage_key):
                local.write(chunk)
            local.seek(0)
            reader = formats.read_xlsx if job.format == "xlsx" else formats.read_xml
            # The progress needs its denominator before the first row is imported: one counting
            # pass over the local copy (no database work) gives it.
            total = await asyncio.to_thread(lambda: sum(1 for _ in reader(local, job.kind)))
            await _set_total(rt, job.id, total)
            local.seek(0)
            await _feed(rt, job, actor, reader(local, job.kind))
        await _finish(rt, job.id, status="done")
    except Exception as exc:  # noqa: BLE001 - a broken file must end as a failed job, not a crashed worker
        log.exception("import job %s failed", job.id)
        await _finish(rt, job.id, status="failed", failure=f"Файл не удалось прочитать: {type(exc).__name__}")


async def _feed(rt: Runtime, job: ImportJob, actor: PartnerPrincipal, rows) -> None:
    batch: list[tuple[dict[str, Any], list[int]]] = []
    problems: list[dict[str, Any]] = []
    if job.kind == "premises":
        units = ((item, numbers, problem) for item, numbers, problem in formats.premise_items(rows))
    else:
        units = ((formats.client_item(row.values), [row.number], None) for row in rows)
    for item, numbers, problem in units:
        if problem:
            problems.extend({"row": n, "column": formats.column_title(job.kind, "external_id"), "message": problem}
                            for n in numbers)
            continue
        batch.append((item, numbers))
        if len(batch) >= CHUNK:
            await _run_chunk(rt, job, actor, batch, problems)
            batch, problems = [], []
    await _run_chunk(rt, job, actor, batch, problems)


async def _run_chunk(rt: Runtime, job: ImportJob, actor: PartnerPrincipal,
                     batch: list[tuple[dict[str, Any], list[int]]], problems: list[dict[str, Any]]) -> None:
    results: list[ItemResult] = []
    if batch:
        run = import_premises if job.kind == "premises" else import_clients
        results = await run(rt, actor, [item for item, _ in batch])
    created = sum(r.status == "created" for r in results)
    updated = sum(r.status != "created" and r.status != "error" for r in results)
    errors = list(problems)
    for result, (_, numbers) in zip(results, batch, strict=True):
        if result.status == "error":
            field = result.errors[0]["field"] if result.errors else "external_id"
            message = result.errors[0]["message"] if result.errors and result.code == "validation_error" else result.detail
            errors.extend({"row": n, "column": formats.column_title(job.kind, field), "message": message}
                          for n in numbers)
    async with rt.sessionmaker() as db:
        stored = await db.get(ImportJob, job.id, with_for_update=True)
        stored.processed += sum(len(numbers) for _, numbers in batch) + len(problems)
        stored.created += created
        stored.updated += updated
        stored.errors_count += len(errors)
        room = KEEP_ERRORS - len(stored.errors)
        if room > 0 and errors:
            stored.errors = stored.errors + errors[:room]
        stored.lease_until = rt.clock.now() + LEASE
        await commit(db)


async def _set_total(rt: Runtime, job_id: uuid.UUID, total: int) -> None:
    async with rt.sessionmaker() as db:
        await db.execute(update(ImportJob).where(ImportJob.id == job_id).values(total=total))
        await commit(db)


async def _finish(rt: Runtime, job_id: uuid.UUID, *, status: str, failure: str | None = None) -> None:
    async with rt.sessionmaker() as db:
        await db.execute(update(ImportJob).where(ImportJob.id == job_id).values(
            status=status, failure=failure, finished_at=rt.clock.now(), lease_until=None,
            total=ImportJob.processed))
        await commit(db)


async def get_job(db: AsyncSession, actor: PartnerPrincipal, job_id: uuid.UUID) -> ImportJob:
    return await owned(db, actor, ImportJob, job_id, not_found="Задача импорта не найдена")


async def list_jobs(db: AsyncSession, actor: PartnerPrincipal, *, kind: str | None, status: str | None,
                    cursor: str | None, limit: int) -> tuple[list[ImportJob], str | None]:
    """The partner's file imports, newest first."""
    keys = [ImportJob.created_at, ImportJob.id]
    stmt = select(ImportJob).where(ImportJob.partner_id == actor.partner_id)
    if kind:
        stmt = stmt.where(ImportJob.kind == kind)
    if status:
        stmt = stmt.where(ImportJob.status == status)
    rows = (await db.scalars(keyset(stmt, keys, cursor=cursor, limit=limit, descending=True))).all()
    return page(rows, limit, lambda job: [job.created_at, job.id])
