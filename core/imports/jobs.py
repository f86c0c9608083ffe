"""File imports as jobs: the API stores the file and answers at once; a worker streams it through the
import pipeline in chunks under a lease (README: Running the worker)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import tempfile
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.db import commit
from core.errors import PermissionDenied
from core.imports import formats, repository
from core.infra.lanes import priority_of
from core.imports.service import ItemResult, import_clients, import_premises
from core.models import ImportJob
from core.infra.pagination import Position
from core.partners.service import PartnerPrincipal, current_principal
from core.scope import owned
from core.infra.runtime import Runtime
from core.infra.storage import storage_of

log = logging.getLogger(__name__)
CHUNK = 500
LEASE = timedelta(minutes=5)
# Real seconds between renewals of a running job's lease (a fifth of it: a slow chunk never
# lets it lapse).
RENEW_SECONDS = LEASE.total_seconds() / 5
KEEP_ERRORS = 1000
# Files are parsed on a thread of their own, not the loop's default pool: the FCM transport sends
# on that one, and a push must never wait for a free thread behind an import.
_PARSER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-parse")
Unit = tuple[dict[str, Any], list[int], str | None]


class LeaseLost(Exception):
    """Another worker holds the job now: this run stops and writes nothing more."""


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


async def claim(rt: Runtime, db: AsyncSession, job_id: uuid.UUID | None = None
                ) -> tuple[uuid.UUID, uuid.UUID] | None:
    """Take the oldest waiting job (or the one named) under a new claim token. A job already
    started IMPORT_MAX_ATTEMPTS times whose lease passed is failed instead: its file keeps
    killing the workers that read it."""
    now = rt.clock.now()
    while True:
        job = await repository.claimable_job(db, now, job_id)
        if job is None:
            return None
        if job.attempts >= rt.settings.import_max_attempts:
            job.status, job.finished_at, job.lease_until, job.claim_token = "failed", now, None, None
            job.failure = (f"Импорт прервался {job.attempts} раз(а) подряд, не дойдя до конца файла; "
                           f"задача остановлена. Проверьте файл или разделите его на части")
            job.total = job.processed
            await db.flush()
            log.warning("import job %s failed after %d interrupted attempts", job.id, job.attempts)
            continue
        token = uuid.uuid4()
        job.status, job.started_at, job.lease_until, job.claim_token = "running", now, now + LEASE, token
        job.attempts += 1
        job.processed = job.created = job.updated = job.errors_count = 0
        job.errors = []
        await db.flush()
        return job.id, token


async def run_import_jobs(rt: Runtime, db: AsyncSession) -> int:
    """The worker's import lane: run every waiting import, one after another."""
    done = 0
    while True:
        claimed = await claim(rt, db)
        await commit(db)
        if claimed is None:
            return done
        await process(rt, *claimed)
        done += 1


class UploaderGone(Exception):
    """The staff member who uploaded the file was deactivated (or the API key revoked)."""


async def uploader(rt: Runtime, job: ImportJob) -> PartnerPrincipal:
    """The uploader as they stand now, not as they stood at upload: their role's permissions of
    this moment decide what the job may change (STAFF-01), and a deactivated uploader's job
    changes nothing more."""
    async with rt.sessionmaker() as db:
        actor = await current_principal(db, job.actor_type, uuid.UUID(job.actor_id))
    if actor is None or actor.partner_id != job.partner_id:
        raise UploaderGone
    return actor


async def process(rt: Runtime, job_id: uuid.UUID, token: uuid.UUID | None = None) -> None:
    """Run one job to its end under `token` (claimed here when not given)."""
    if token is None:
        async with rt.sessionmaker() as db:
            claimed = await claim(rt, db, job_id)
            await commit(db)
        if claimed is None:
            return
        token = claimed[1]
    async with rt.sessionmaker() as db:
        job = await repository.job(db, job_id)
    run = asyncio.current_task()
    keeper = asyncio.create_task(_keep_lease(rt, job.id, token, run), name=f"import lease {job.id}")
    try:
        actor = await uploader(rt, job)
        if job.kind == "clients" and not actor.can("clients.edit"):
            raise PermissionDenied.lacking("clients.edit")
        with tempfile.TemporaryFile() as local:
            async for chunk in storage_of(rt).open(job.storage_key):
                local.write(chunk)
            local.seek(0)
            limits = formats.Limits.of(rt.settings)
            reader = formats.read_xlsx if job.format == "xlsx" else formats.read_xml
            # The progress needs its denominator before the first row is imported: one counting
            # pass over the local copy (no database work) gives it.
            total = await asyncio.get_running_loop().run_in_executor(_PARSER, _count_rows, reader, local, job.kind,
                                                                     limits)
            if total is not None:
                await _set_total(rt, job.id, token, total)
            local.seek(0)
            await _feed(rt, job, token, actor, _units(job.kind, reader(local, job.kind, limits), limits))
        await _finish(rt, job.id, token, status="done")
    except asyncio.CancelledError:
        if not _lost(keeper):
            # The worker is stopping: the job goes back to the queue at once, this start uncounted.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await _release(rt, job.id, token)
            raise
        run.uncancel()  # the keeper stopped this run, nobody else asked to
        log.warning("import job %s was taken over by another worker; this run stops", job.id)
    except LeaseLost:
        log.warning("import job %s was taken over by another worker; this run stops", job.id)
    except formats.FileRefused as exc:
        log.warning("import job %s refused: %s", job.id, exc)
        await _finish(rt, job.id, token, status="failed", failure=str(exc))
    except UploaderGone:
        await _finish(rt, job.id, token, status="failed",
                      failure="Загрузивший файл сотрудник отключён или ключ API отозван: импорт остановлен")
    except PermissionDenied as exc:
        await _finish(rt, job.id, token, status="failed", failure=exc.detail)
    except Exception as exc:  # noqa: BLE001 - a broken file must end as a failed job, not a crashed worker
        log.exception("import job %s failed", job.id)
        await _finish(rt, job.id, token, status="failed", failure=f"Файл не удалось прочитать: {type(exc).__name__}")
    finally:
        keeper.cancel()
        with contextlib.suppress(BaseException):
            await keeper


def _lost(keeper: asyncio.Task) -> bool:
    return keeper.done() and not keeper.cancelled() and isinstance(keeper.exception(), LeaseLost)


async def _keep_lease(rt: Runtime, job_id: uuid.UUID, token: uuid.UUID, run: asyncio.Task | None) -> None:
    """Renew the lease while the run works; when the token no longer holds, stop the run."""
    while True:
        await asyncio.sleep(RENEW_SECONDS)
        try:
            await _renew(rt, job_id, token)
        except LeaseLost:
            if run is not None:
                run.cancel()
            raise


async def _renew(rt: Runtime, job_id: uuid.UUID, token: uuid.UUID) -> None:
    async with rt.sessionmaker() as db:
        held = await db.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.claim_token == token,
                                                        ImportJob.status == "running")
                                .values(lease_until=rt.clock.now() + LEASE))
        await commit(db)
    if held.rowcount == 0:
        raise LeaseLost(job_id)


def _units(kind: str, rows: Iterator[formats.Row], limits: formats.Limits) -> Iterator[Unit]:
    if kind == "premises":
        return formats.premise_items(rows, limits)
    return ((formats.client_item(row.values), [row.number], None) for row in rows)


def _next_chunk(units: Iterator[Unit]) -> tuple[list[Unit], formats.FileRefused | None]:
    """Up to CHUNK importable units (and the problems met on the way), and the limit the file
    broke if it broke one after them; runs in a thread."""
    out: list[Unit] = []
    items = 0
    try:
        for unit in units:
            out.append(unit)
            items += unit[2] is None
            if items >= CHUNK or len(out) >= 4 * CHUNK:
                break
    except formats.FileRefused as exc:
        return out, exc
    return out, None


async def _feed(rt: Runtime, job: ImportJob, token: uuid.UUID, actor: PartnerPrincipal, units: Iterator[Unit]) -> None:
    refused = None
    priority = priority_of(rt)
    while refused is None:
        await priority.background_turn()  # pushes being sent go first
        chunk, refused = await asyncio.get_running_loop().run_in_executor(_PARSER, _next_chunk, units)
        if not chunk:
            break
        batch: list[tuple[dict[str, Any], list[int]]] = []
        problems: list[dict[str, Any]] = []
        rows = 0
        for item, numbers, problem in chunk:
            rows += len(numbers)
            if problem:
                # One error per problem, at its first row: a premise past its cap has thousands.
                problems.append({"row": numbers[0], "column": formats.column_title(job.kind, "external_id"),
                                 "message": problem})
            else:
                batch.append((item, numbers))
        await _run_chunk(rt, job, token, actor, batch, problems, rows)
    if refused is not None:
        raise refused  # the rows before the limit are imported


# The client refusals of IMPORT-02A/02B are about the phone.
PHONE_CODES = ("phone_in_several_organizations", "client_logged_in")


def _error_column(kind: str, result: ItemResult) -> str:
    """The template column an item's error points at; an error about one of a premise's clients
    points at that client's column (never at the premise's)."""
    field = result.errors[0]["field"] if result.errors else None
    if result.client_index is None:
        return formats.column_title(kind, field or "external_id")
    field = field or ("phone" if result.code in PHONE_CODES else "external_id")
    return formats.column_title(kind, field if field.startswith("clients") else f"clients.{field}")


async def _run_chunk(rt: Runtime, job: ImportJob, token: uuid.UUID, actor: PartnerPrincipal,
                     batch: list[tuple[dict[str, Any], list[int]]], problems: list[dict[str, Any]], rows: int) -> None:
    await _renew(rt, job.id, token)  # a run that lost its job imports nothing more
    results: list[ItemResult] = []
    if batch:
        # Asked again for every chunk: a deactivation or a role change counts from the next chunk.
        actor = await uploader(rt, job)
        run = import_premises if job.kind == "premises" else import_clients
        results = await run(rt, actor, [item for item, _ in batch])
    created = sum(r.status == "created" for r in results)
    updated = sum(r.status != "created" and r.status != "error" for r in results)
    errors = list(problems)
    for result, (_, numbers) in zip(results, batch, strict=True):
        if result.status == "error":
            message = result.errors[0]["message"] if result.errors and result.code == "validation_error" else result.detail
            errors.extend({"row": n, "column": _error_column(job.kind, result), "message": message}
                          for n in numbers)
        elif result.code == "permission_required":
            # STAFF-01: the premise was imported, its clients were not.
            errors.extend({"row": n, "column": formats.column_title(job.kind, "clients.external_id"),
                           "message": result.detail} for n in numbers)
    async with rt.sessionmaker() as db:
        stored = await repository.held_job_for_update(db, job.id, token)
        if stored is None:
            raise LeaseLost(job.id)
        stored.processed += rows
        stored.created += created
        stored.updated += updated
        stored.errors_count += len(errors)
        room = KEEP_ERRORS - len(stored.errors)
        if room > 0 and errors:
            stored.errors = stored.errors + errors[:room]
        stored.lease_until = rt.clock.now() + LEASE
        await commit(db)


def _count_rows(reader, local, kind: str, limits: formats.Limits) -> int | None:
    """The rows of the file, or None when it breaks a limit (the import then stops at it)."""
    try:
        return sum(1 for _ in reader(local, kind, limits))
    except formats.FileRefused:
        return None


async def _set_total(rt: Runtime, job_id: uuid.UUID, token: uuid.UUID, total: int) -> None:
    async with rt.sessionmaker() as db:
        await db.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.claim_token == token)
                         .values(total=total))
        await commit(db)


async def _release(rt: Runtime, job_id: uuid.UUID, token: uuid.UUID) -> None:
    async with rt.sessionmaker() as db:
        await db.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.claim_token == token).values(
            status="pending", lease_until=None, claim_token=None, attempts=ImportJob.attempts - 1))
        await commit(db)


async def _finish(rt: Runtime, job_id: uuid.UUID, token: uuid.UUID, *, status: str, failure: str | None = None) -> None:
    async with rt.sessionmaker() as db:
        await db.execute(update(ImportJob).where(ImportJob.id == job_id, ImportJob.claim_token == token).values(
            status=status, failure=failure, finished_at=rt.clock.now(), lease_until=None, claim_token=None,
            total=ImportJob.processed))
        await commit(db)


async def get_job(db: AsyncSession, actor: PartnerPrincipal, job_id: uuid.UUID) -> ImportJob:
    return await owned(db, actor, ImportJob, job_id, not_found="Задача импорта не найдена")


async def list_jobs(db: AsyncSession, actor: PartnerPrincipal, *, kind: str | None, status: str | None,
                    cursor: Position | None, limit: int) -> tuple[list[ImportJob], Position | None]:
    """The partner's file imports, newest first."""
    return await repository.jobs(db, actor.partner_id, kind=kind, status=status, cursor=cursor, limit=limit)
