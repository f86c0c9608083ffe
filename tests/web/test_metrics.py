"""Liveness and Prometheus metrics over HTTP: `/health/live` answers while PostgreSQL and Redis
are away; `/metrics` counts requests by route template (never the raw path) and status, and adds
up several processes sharing PROMETHEUS_MULTIPROC_DIR; `bff worker` serves its own."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import uuid

import httpx
from prometheus_client.parser import text_string_to_metric_families

from core.infra.metrics import serve_metrics
from tests.crm.estate import partner_with_staff
from tests.web.test_outages import DEAD_DATABASE, DEAD_REDIS, _client

PREMISE_ROUTE = "/crm/v1/premises/{premise_id}"


def samples(text: str) -> dict[tuple, float]:
    """{(sample name, sorted labels): value} of an exposition."""
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def requests_of(text: str, route: str, status: str, method: str = "GET") -> float:
    key = ("http_request_duration_seconds_count", (("method", method), ("route", route), ("status", status)))
    return samples(text).get(key, 0.0)


async def test_liveness_answers_while_the_database_and_redis_are_down(base_settings, clock):
    rt, client = await _client(base_settings, clock, database=DEAD_DATABASE, redis_url=DEAD_REDIS)
    try:
        assert (await client.get("/health")).status_code == 503  # readiness: not ready
        live = await client.get("/health/live")
        assert live.status_code == 200 and live.json() == {"status": "ok"}
        scraped = await client.get("/metrics")  # the process's own counts, without the database's
        assert scraped.status_code == 200 and "http_requests_in_flight" in scraped.text
        assert "push_outbox_depth" not in scraped.text
    finally:
        await client.aclose()
        await rt.close()


async def test_requests_are_counted_by_route_template_and_status(http):
    _, staff = await partner_with_staff(http)
    before = (await http.get("/metrics")).text
    unknown = [str(uuid.uuid4()) for _ in range(3)]
    for premise_id in unknown:
        assert (await http.get(f"/crm/v1/premises/{premise_id}", headers=staff)).status_code == 404
    assert (await http.get("/crm/v1/premises/not-an-id", headers=staff)).status_code == 404
    after = (await http.get("/metrics")).text
    assert after.startswith("# HELP") and "text/plain" in (await http.get("/metrics")).headers["content-type"]
    assert requests_of(after, PREMISE_ROUTE, "404") - requests_of(before, PREMISE_ROUTE, "404") == 4
    assert not any(premise_id in after for premise_id in unknown)  # one series per route, not per id
    assert samples(after)[("http_requests_in_flight", ())] == 1  # this scrape
    for stage in ("fan_out", "delivery"):
        assert ("push_outbox_depth", (("stage", stage),)) in samples(after)
    assert ("db_pool_connections", (("pool", "orm"), ("state", "in_use"))) in samples(after)


async def test_worker_serves_its_metrics_and_liveness_on_its_own_port(runtime):
    server = await serve_metrics(runtime, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as worker:
            scraped = await worker.get("/metrics")
            assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
            assert ("import_jobs", (("status", "pending"),)) in samples(scraped.text)
            assert (await worker.get("/health/live")).json() == {"status": "ok"}
            assert (await worker.get("/anything-else")).status_code == 404
    finally:
        server.close()
        await server.wait_closed()


_PROCESSES = textwrap.dedent("""
    import asyncio, os, sys
    import httpx
    from core.process import open_runtime
    from core.infra.settings import load_settings
    from server.app import create_app

    settings = load_settings()
    rt = open_runtime(settings, pool_size=1)  # connects on first use, after the fork
    app = create_app(settings, runtime=rt)
    app.state.runtime = rt

    async def serve(count, scrape):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://api") as client:
            for _ in range(count):
                assert (await client.get("/health/live")).status_code == 200
            if scrape:
                print((await client.get("/metrics")).text)
                await rt.close()

    child = os.fork()  # as a server's worker processes are forked after the app is imported
    if child == 0:
        asyncio.run(serve(3, scrape=False))
        sys.exit(0)
    assert os.waitpid(child, 0)[1] == 0
    asyncio.run(serve(4, scrape=True))
""")


def test_several_processes_add_up_in_multiprocess_mode(base_settings, database, tmp_path):
    """Two API processes behind one port (PROMETHEUS_MULTIPROC_DIR): a scrape of the second
    counts the first's requests too, and the first, gone, no longer counts as in flight."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "DATABASE_URL": database,
           "REDIS_URL": base_settings.redis_url, "APP_ENV": "test", "VAR_DIR": str(tmp_path / "var"),
           "LOG_LEVEL": "WARNING"}
    done = subprocess.run([sys.executable, "-c", _PROCESSES], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert requests_of(done.stdout, "/health/live", "200") == 7
    assert samples(done.stdout)[("http_requests_in_flight", ())] == 1


async def test_pools_and_worker_lag_are_exposed(http, runtime):
    """The operator's view of load: Redis and database pool use, how late the worker's periodic
    jobs start, and how long the oldest import job has waited."""
    import asyncio

    from prometheus_client import REGISTRY

    from push.worker import PeriodicJob, run_periodic

    text = (await http.get("/metrics")).text
    found = samples(text)
    assert ("db_pool_connections", (("pool", "redis"), ("state", "in_use"))) in found
    assert found[("import_oldest_pending_age_seconds", ())] == 0
    stop, runs = asyncio.Event(), []

    async def job(rt, db):
        runs.append(1)
        if len(runs) == 3:
            stop.set()

    def observed() -> float:
        return REGISTRY.get_sample_value("worker_job_lag_seconds_count", {"job": "tests.lag"}) or 0

    before = observed()
    await run_periodic(runtime, stop, 0, [PeriodicJob("tests.lag", 0, job)])
    assert len(runs) == 3
    assert observed() - before == 2  # every run but the first was due at the end of the one before
