"""`bff worker`: push delivery, imports, SMS mailings and housekeeping in lanes of their own, until
stopped (README: Running the worker)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.db import commit
from core.infra import metrics
from core.infra.metrics import serve_metrics
from core.infra.runtime import Runtime

log = logging.getLogger(__name__)
JobFn = Callable[[Runtime, AsyncSession], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    every_seconds: float
    run: JobFn
    lane: str = "housekeeping"


def registered_jobs() -> list[PeriodicJob]:
    from core.auth.jobs import purge_refresh_tokens
    from core.infra.idempotency import purge_idempotency_records
    from core.imports.jobs import run_import_jobs
    from core.people.jobs import send_rent_reminders
    from push.mailings import send_sms_mailings

    return [PeriodicJob("auth.purge_refresh_tokens", 3600, purge_refresh_tokens),
            PeriodicJob("idempotency.purge", 3600, purge_idempotency_records),
            PeriodicJob("imports.run", 2, run_import_jobs, lane="imports"),
            PeriodicJob("mailings.sms", 1, send_sms_mailings, lane="sms"),
            PeriodicJob("people.rent_reminders", 600, send_rent_reminders)]


def lanes(jobs: list[PeriodicJob]) -> dict[str, list[PeriodicJob]]:
    by_lane: dict[str, list[PeriodicJob]] = {}
    for job in jobs:
        by_lane.setdefault(job.lane, []).append(job)
    return by_lane


async def run_job_once(rt: Runtime, job: PeriodicJob) -> object:
    """One run of a job in its own transaction."""
    async with rt.sessionmaker() as db:
        try:
            result = await job.run(rt, db)
            await commit(db)
            return result
        except BaseException:
            await db.rollback()
            raise


async def run_periodic(rt: Runtime, stop: asyncio.Event, tick: float,
                       jobs: list[PeriodicJob] | None = None) -> None:
    """One lane: its jobs one after another, each when due, until `stop` (which cancels the
    job running then)."""
    jobs = registered_jobs() if jobs is None else jobs
    next_run = {job.name: 0.0 for job in jobs}
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        for job in jobs:
            if stop.is_set():
                break
            if loop.time() < next_run[job.name]:
                continue
            if next_run[job.name]:  # not its first run: how late it starts
                metrics.JOB_LAG.labels(job.name).observe(loop.time() - next_run[job.name])
            try:
                await _until_stopped(run_job_once(rt, job), stop)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - a failing job must not stop the others
                log.exception("job %s failed; it will run again", job.name)
            next_run[job.name] = loop.time() + job.every_seconds
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=tick)


async def _until_stopped(work: Awaitable[object], stop: asyncio.Event) -> None:
    job = asyncio.ensure_future(work)
    stopping = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({job, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        if not job.done():
            job.cancel()
            await asyncio.wait({job})
    if not job.cancelled():
        job.result()


async def run_worker(rt: Runtime, *, stop: asyncio.Event | None = None, tick: float = 1.0,
                     push: bool = True, metrics_port: int | None = None) -> None:
    """`metrics_port`: serve `GET /metrics` there (`bff worker` with WORKER_METRICS_PORT; the
    worker run inside `serve` is counted by the API's own /metrics)."""
    from push.service import open_push, run_push

    stop = stop or asyncio.Event()
    jobs = registered_jobs()
    log.info("worker started with jobs: push.deliver, %s", ", ".join(job.name for job in jobs))
    scrape = None
    if metrics_port is not None:
        scrape = await serve_metrics(rt, rt.settings.worker_metrics_host, metrics_port)
        log.info("worker metrics on http://%s:%d/metrics", rt.settings.worker_metrics_host, metrics_port)
    tasks = [asyncio.create_task(run_periodic(rt, stop, tick, lane_jobs), name=f"lane {lane}")
             for lane, lane_jobs in lanes(jobs).items()]
    deliverer = None
    if push:
        deliverer = await open_push(rt)
        tasks.append(asyncio.create_task(run_push(deliverer, stop), name="push.deliver"))
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if deliverer is not None:
            await deliverer.transport.close()
        if scrape is not None:
            scrape.close()
            await scrape.wait_closed()
    log.info("worker stopped")
