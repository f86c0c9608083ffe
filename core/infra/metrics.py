"""What the API and worker processes report to Prometheus, and how it is served (README: Health and
metrics)."""

from __future__ import annotations

import asyncio
import atexit
import logging
import os
from typing import TYPE_CHECKING

from prometheus_client import (CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram,
                               generate_latest, multiprocess)
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import text

if TYPE_CHECKING:
    from core.infra.runtime import Runtime

log = logging.getLogger(__name__)
CONTENT_TYPE = CONTENT_TYPE_LATEST
SNAPSHOT_TIMEOUT = 2.0

REQUEST_SECONDS = Histogram(
    "http_request_duration_seconds", "HTTP requests by method, route template and status",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
IN_FLIGHT = Gauge("http_requests_in_flight", "HTTP requests being answered", multiprocess_mode="livesum")
SCREEN_CACHE = Counter("screen_cache_answers", "App screen answers by how they were served: hit (from Redis), "
                       "stored (built and cached), built (not cached: cache off, Redis away)", ["outcome"])
FCM_SECONDS = Histogram("fcm_send_duration_seconds", "FCM batch calls (send_each) by Firebase project", ["project"],
                        buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0))
FCM_ERRORS = Counter("fcm_errors", "FCM answers other than success, by FCM error code", ["code"])
JOB_LAG = Histogram("worker_job_lag_seconds", "How late a periodic job of the worker started after it was due",
                    ["job"], buckets=(0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0))
PUSH_DELIVERIES = Counter("push_deliveries", "Push deliveries whose outcome was written, by outcome "
                          "(sent, recorded, failed, skipped; pending and sending: to be tried again)", ["outcome"])

if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    # A live gauge of a process that exited must stop counting. The pid is read at exit: worker
    # processes forked after this import (gunicorn's preload) each mark themselves.
    atexit.register(lambda: multiprocess.mark_process_dead(os.getpid()))

# The outbox: notifications waiting to be fanned out to devices, deliveries waiting to be sent.
_OUTBOX = text("""
    SELECT 'fan_out' AS stage, count(*) AS depth, min(available_at) FILTER (WHERE available_at <= :now) AS oldest
    FROM push_message WHERE fanned_out_at IS NULL
    UNION ALL
    SELECT 'delivery', count(*), min(created_at) FROM push_delivery WHERE status IN ('pending', 'sending')
""")
_IMPORTS = text("""
    SELECT status, count(*) AS jobs, coalesce(sum(processed), 0) AS rows, min(created_at) AS oldest
    FROM import_job WHERE status IN ('pending', 'running') GROUP BY status
""")


async def database_snapshot(rt: Runtime) -> list[GaugeMetricFamily]:
    """The gauges read from the database at scrape time; none when it does not answer in time
    (a scrape must not hang on it, and `/health` says what is down)."""
    now = rt.clock.now()

    async def read() -> tuple[list, list]:
        async with rt.sessionmaker() as db:
            outbox = (await db.execute(_OUTBOX, {"now": now})).all()
            imports = (await db.execute(_IMPORTS)).all()
        return outbox, imports

    try:
        outbox, imports = await asyncio.wait_for(read(), timeout=SNAPSHOT_TIMEOUT)
    except Exception as exc:  # noqa: BLE001 - the process's own metrics are still worth answering
        log.warning("metrics: the database snapshot failed: %s", type(exc).__name__)
        return []
    depth = GaugeMetricFamily("push_outbox_depth", "Push work waiting: notifications to fan out to devices, "
                              "deliveries to send", labels=["stage"])
    age = GaugeMetricFamily("push_outbox_oldest_age_seconds", "How long the oldest due item of each stage "
                            "has waited (0: none)", labels=["stage"])
    for stage, count, oldest in outbox:
        depth.add_metric([stage], count)
        age.add_metric([stage], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
    jobs = GaugeMetricFamily("import_jobs", "File import jobs not finished, by status", labels=["status"])
    rows = GaugeMetricFamily("import_rows_processed", "Rows done so far by unfinished import jobs", labels=["status"])
    waiting = GaugeMetricFamily("import_oldest_pending_age_seconds", "How long the oldest import job not yet "
                                "claimed has waited (0: none): the imports lane's lag")
    found = {status: (count, processed, oldest) for status, count, processed, oldest in imports}
    for status in ("pending", "running"):
        count, processed, _ = found.get(status, (0, 0, None))
        jobs.add_metric([status], count)
        rows.add_metric([status], processed)
    oldest = found.get("pending", (0, 0, None))[2]
    waiting.add_metric([], max((now - oldest).total_seconds(), 0.0) if oldest else 0.0)
    return [depth, age, jobs, rows, waiting]


def pool_snapshot(rt: Runtime) -> list[GaugeMetricFamily]:
    """Connections of this process's pools: the ORM's and the screens' raw read pool."""
    pools = GaugeMetricFamily("db_pool_connections", "Connections of this process by pool (orm, reads, redis) "
                              "and state",
                              labels=["pool", "state"])
    pool = rt.engine.pool
    if hasattr(pool, "checkedout"):
        pools.add_metric(["orm", "in_use"], pool.checkedout())
        pools.add_metric(["orm", "idle"], pool.checkedin())
    # redis-py keeps no public count of its pool's connections.
    redis_pool = getattr(rt.redis, "connection_pool", None)  # a cluster client has one per node
    in_use, available = getattr(redis_pool, "_in_use_connections", None), getattr(redis_pool, "_available_connections", None)
    if in_use is not None and available is not None:
        pools.add_metric(["redis", "in_use"], len(in_use))
        pools.add_metric(["redis", "idle"], len(available))
    reads = getattr(rt.reads, "_pool", None)
    if reads is not None:
        idle = reads.get_idle_size()
        pools.add_metric(["reads", "in_use"], reads.get_size() - idle)
        pools.add_metric(["reads", "idle"], idle)
    return [pools]


class _Snapshot:
    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self):
        return iter(self.families)


async def exposition(rt: Runtime) -> bytes:
    """The text a scrape gets: this process's counts (all processes' in multiprocess mode), then
    the database and pool snapshot."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    snapshot = CollectorRegistry(auto_describe=False)
    snapshot.register(_Snapshot(await database_snapshot(rt) + pool_snapshot(rt)))
    return generate_latest(counted) + generate_latest(snapshot)


def count_push_outcomes(counts: dict[str, int]) -> None:
    for outcome, number in counts.items():
        PUSH_DELIVERIES.labels(outcome).inc(number)


async def serve_metrics(rt: Runtime, host: str, port: int) -> asyncio.Server:
    """`bff worker`'s own scrape endpoint (it serves no HTTP API): `GET /metrics`, and
    `GET /health/live` for an orchestrator's liveness probe. One request per connection."""

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            method, target = head.split(b" ", 2)[:2]
            path = target.split(b"?", 1)[0]
            if method == b"GET" and path == b"/metrics":
                status, body, kind = "200 OK", await exposition(rt), CONTENT_TYPE
            elif method == b"GET" and path == b"/health/live":
                status, body, kind = "200 OK", b'{"status":"ok"}', "application/json"
            else:
                status, body, kind = "404 Not Found", b"not found\n", "text/plain"
            writer.write(f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(body)}\r\n"
                         f"Connection: close\r\n\r\n".encode() + body)
            await writer.drain()
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError, ConnectionError, ValueError):
            pass  # a scraper that hung up or spoke nonsense
        finally:
            writer.close()

    return await asyncio.start_server(answer, host, port)
