"""`python -m soak`: SOAK_SECONDS of mixed app and CRM traffic at SOAK_RPS requests a second
against one `bff serve` and two `bff worker`s, all on loopback with a database, a Redis and a
fake FCM of their own. At a quarter of the run PostgreSQL is cut off from the served processes
(every connection reset, new ones refused: a restart as they see it, through soak/pgproxy.py) and
comes back; at half the Redis is killed and started again (empty) on the same port; at three
quarters, while a mailing is going out and the fake FCM answers slowly, a worker is killed with
SIGKILL mid-batch (the other takes its claims over when their lease ends; a replacement starts a
little later). Then the outbox is drained and what the fake FCM received
is compared with what was requested.

Exit status 1 when a push was lost, shown twice, sent without being asked for (or for a
refused request), or the outbox did not drain; 2 when the stack could not be set up; 130 when
interrupted (Ctrl-C, SIGTERM). Whatever happens, every process started is stopped and the
database dropped.

Knobs (environment):
    SOAK_SECONDS        length of the traffic run                       600
    SOAK_RPS            requests a second, started on schedule          50
    SOAK_RESIDENTS      residents with a device (each a client)         300
    SOAK_REDIS_DOWN     seconds the Redis stays down                    5
    SOAK_PG_DOWN        seconds PostgreSQL stays cut off                5
    SOAK_LEASE_SECONDS  PUSH_LEASE_SECONDS of the workers               5
    SOAK_FCM_DELAY      seconds the fake FCM takes per message          0.05
    SOAK_DRAIN_SECONDS  bound on the wait for the outbox to drain       180
    SOAK_SEED           random seed of the traffic mix                  1
    SOAK_KEEP_LOGS      1: keep every process's log (kept anyway on failure)
DATABASE_URL names the PostgreSQL server the soak's database is created on (the embedded one
when unset); REDIS_URL is ignored: the soak restarts its Redis, so it never uses a shared one."""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sys
import time
from dataclasses import dataclass

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from soak import report, seed
from soak.stack import Stack
from soak.traffic import Traffic

RECOVERY_SECONDS = 10.0  # how long after a fault its window stays open in the figures
SLOW_FCM_SECONDS = 1.5  # how long the fake FCM takes per message while a worker is killed


@dataclass(frozen=True, slots=True)
class Knobs:
    seconds: float
    rate: float
    residents: int
    redis_down: float
    pg_down: float
    lease: float
    fcm_delay: float
    drain: float
    seed: int

    @classmethod
    def from_env(cls) -> Knobs:
        env = os.environ.get
        return cls(seconds=float(env("SOAK_SECONDS", "600")), rate=float(env("SOAK_RPS", "50")),
                   residents=int(env("SOAK_RESIDENTS", "300")), redis_down=float(env("SOAK_REDIS_DOWN", "5")),
                   pg_down=float(env("SOAK_PG_DOWN", "5")),
                   lease=float(env("SOAK_LEASE_SECONDS", "5")), fcm_delay=float(env("SOAK_FCM_DELAY", "0.05")),
                   drain=float(env("SOAK_DRAIN_SECONDS", "180")), seed=int(env("SOAK_SEED", "1")))


class Faults:
    """The scheduled faults (and the mailings placed around them), with their windows."""

    def __init__(self, stack: Stack, traffic: Traffic, knobs: Knobs, engine: AsyncEngine) -> None:
        self.stack, self.traffic, self.knobs, self.engine = stack, traffic, knobs, engine
        self.windows: list[report.Window] = []

    async def _until(self, at: float) -> None:
        await asyncio.sleep(max(0.0, at - self.traffic.now()))

    async def run(self) -> None:
        quarter = self.knobs.seconds / 4
        # PostgreSQL goes away (every connection reset, new ones refused) and comes back: the
        # screens Redis holds still answer; writes are refused and push nothing.
        await self._until(quarter)
        down = self.traffic.now()
        await asyncio.to_thread(self.stack.pg_command, "down")
        self.traffic.note("PostgreSQL cut off (every connection reset, new ones refused)")
        await asyncio.sleep(self.knobs.pg_down)
        await asyncio.to_thread(self.stack.pg_command, "up")
        up = self.traffic.now()
        self.traffic.note("PostgreSQL reachable again")
        self.windows.append(report.Window("PostgreSQL down", down, up))
        self.windows.append(report.Window("after PostgreSQL came back", up, up + RECOVERY_SECONDS))

        # The first mailing fans out while the Redis goes down: the push pipeline must not need it.
        await self._until(2 * quarter - 1.0)
        await self.traffic.mailing(1, share=0.5)
        await self._until(2 * quarter)
        down = self.traffic.now()
        self.stack.kill_redis()
        self.traffic.cache_lost_at = self.traffic.now()
        self.traffic.note(f"Redis killed (SIGKILL) on port {self.stack.redis_port}")
        await asyncio.sleep(self.knobs.redis_down)
        await asyncio.to_thread(self.stack.start_redis)
        up = self.traffic.now()
        self.traffic.cache_lost_at = self.traffic.now()
        self.traffic.note(f"Redis started again on port {self.stack.redis_port} (empty)")
        self.windows.append(report.Window("Redis down", down, up))
        self.windows.append(report.Window("after Redis came back", up, up + RECOVERY_SECONDS))

        # The second goes to everyone while FCM answers slowly (as it sometimes does), so both
        # workers hold claimed batches whose answers have not come back when one is killed: its
        # claims return when their lease ends and go out again under the same collapse key.
        await self._until(3 * quarter - 1.0)
        await asyncio.to_thread(self.stack.fcm_command, f"delay {SLOW_FCM_SECONDS}")
        marker = await self.traffic.mailing(2)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and int(await asyncio.to_thread(self.stack.fcm_command,
                                                                          f"count {marker}")) == 0:
            await asyncio.sleep(0.02)
        await asyncio.sleep(SLOW_FCM_SECONDS / 3)
        in_flight = await _sending(self.engine)
        victim = next(name for name, p in self.stack.workers.items() if p.poll() is None)
        killed = self.traffic.now()
        self.stack.kill_worker(victim)
        await asyncio.to_thread(self.stack.fcm_command, f"delay {self.knobs.fcm_delay}")
        self.traffic.note(f"{victim} killed (SIGKILL) while {marker} was going out "
                          f"({in_flight} deliveries claimed by the workers at that moment)")
        await asyncio.sleep(self.knobs.lease + 5.0)
        replacement = self.stack.start_worker()
        self.traffic.note(f"{replacement} started to replace {victim}")
        self.windows.append(report.Window(f"{victim} killed", killed, killed + self.knobs.lease + RECOVERY_SECONDS))


async def _sending(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return await conn.scalar(text("SELECT count(*) FROM push_delivery WHERE status = 'sending'"))


async def _outbox(engine: AsyncEngine) -> dict:
    async with engine.connect() as conn:
        waiting = (await conn.execute(text("""
            SELECT (SELECT count(*) FROM push_message WHERE fanned_out_at IS NULL),
                   (SELECT count(*) FROM push_delivery WHERE status IN ('pending', 'sending')),
                   (SELECT count(*) FROM mailing_recipient WHERE status = 'pending')"""))).one()
        statuses = dict((await conn.execute(text(
            "SELECT status, count(*) FROM push_delivery GROUP BY status"))).all())
        resends = await conn.scalar(text("SELECT coalesce(sum(resends), 0) FROM push_delivery"))
        throttled = await conn.scalar(text(
            "SELECT count(*) FROM push_message WHERE available_at > created_at + interval '1 second'"))
    return {"waiting": tuple(waiting), "statuses": statuses, "resends": resends, "throttled": throttled}


async def _drain(engine: AsyncEngine, bound: float) -> tuple[bool, float, dict]:
    started = time.monotonic()
    while True:
        state = await _outbox(engine)
        if not any(state["waiting"]):
            return True, time.monotonic() - started, state
        if time.monotonic() - started > bound:
            return False, time.monotonic() - started, state
        await asyncio.sleep(0.5)


async def soak(knobs: Knobs) -> int:
    rng = random.Random(knobs.seed)
    stack = Stack(lease_seconds=knobs.lease, batch_size=50, fcm_delay=knobs.fcm_delay,
                  token_ttl=int(knobs.seconds * 2 + 3600))
    failed, interrupted = True, False
    engine = None
    traffic = None
    try:
        print(f"== soak: {knobs.seconds:.0f} s at {knobs.rate:g} requests/s, {knobs.residents} residents, "
              f"2 workers (lease {knobs.lease:g} s), fake FCM {knobs.fcm_delay * 1000:.0f} ms a message, "
              f"seed {knobs.seed}", flush=True)
        try:
            database = await stack.create_database()
            stack.start_pgproxy()
            stack.start_redis()
            stack.start_fcm()
            await asyncio.to_thread(stack.migrate)
            await stack.start_serve()
            stack.start_worker()
            stack.start_worker()
        except Exception as exc:
            print(f"soak: could not set the stack up: {exc}", file=sys.stderr)
            for name in ("serve", "worker-1", "redis", "fcm"):
                if tail := stack.log_tail(name):
                    print(f"--- {name} log\n{tail}", file=sys.stderr)
            return 2
        from core.infra.db import create_engine

        engine = create_engine(stack.database_url, pool_size=5)
        print(f"stack: database {database}, Redis on port {stack.redis_port}, API on {stack.base_url}, "
              f"fake FCM on {stack.fcm_url}", flush=True)
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=100)
        async with httpx.AsyncClient(base_url=stack.base_url, timeout=10, limits=limits) as http:
            began = time.monotonic()
            try:
                world = await seed.build(http, stack.admin_token, knobs.residents, rng)
            except (RuntimeError, httpx.HTTPError) as exc:
                print(f"soak: could not seed the partner: {exc!r}", file=sys.stderr)
                return 2
            print(f"seeded in {time.monotonic() - began:.0f} s: {len(world.residents)} residents with a device, "
                  f"{len(world.addresses)} premises, {len(world.orders)} open requests", flush=True)
            traffic = Traffic(http, world, rng)
            traffic.started = time.monotonic()
            faults = Faults(stack, traffic, knobs, engine)
            fault_task = asyncio.create_task(faults.run())
            watch_task = asyncio.create_task(_watch(stack, traffic))
            try:
                await traffic.run(knobs.seconds, knobs.rate)
                await fault_task
            finally:
                for task in (fault_task, watch_task):
                    task.cancel()
                await traffic.stop()
            ran = traffic.now()
        print(f"traffic stopped at t={ran:.0f} s; draining the outbox (at most {knobs.drain:.0f} s)", flush=True)
        drained, took, outbox = await _drain(engine, knobs.drain)
        outbox["drain"] = f"in {took:.1f} s" if drained else f"NOT within {took:.0f} s: still waiting {outbox['waiting']}"
        # A last look for anything sent after the outbox turned empty.
        await asyncio.sleep(1.0)
        scraped = await _scrape(stack)
        codes = stack.stop_workers()
        dump = stack.workdir / "fcm.json"
        stack.fcm_command(f"dump {dump}")
        records = json.loads(dump.read_text(encoding="utf-8"))

        print()
        print("faults (and the mailings around them):")
        for event in traffic.events:
            print(f"  t={event.at:6.1f} s  {event.text}")
        print("workers at the end: " + ", ".join(
            f"{name} {'stopped cleanly' if code == 0 else f'exit {code}'}" for name, code in codes.items()))
        report.print_requests(traffic.samples, faults.windows, traffic.shed, ran)
        print("metrics scraped from the running processes:")
        for line in scraped:
            print(f"  {line}")
        figures = report.reconcile(traffic.ledger, records)
        report.print_pushes(figures, outbox, traffic.ledger)
        if traffic.client_failures:
            print(f"load generator failures: {len(traffic.client_failures)}, e.g. {traffic.client_failures[0]}")
        failed = bool(figures.lost or figures.duplicated_displays or figures.not_requested or figures.after_refusal
                      or not drained)
        print(f"== soak {'FAILED' if failed else 'passed'}: {len(figures.lost)} lost, "
              f"{figures.duplicated_displays} duplicated displays", flush=True)
        return 1 if failed else 0
    except asyncio.CancelledError:
        interrupted = True
        raise
    finally:
        if engine is not None:
            await engine.dispose()
        keep = (failed and not interrupted) or os.environ.get("SOAK_KEEP_LOGS") == "1"
        if keep and traffic is not None:
            (stack.workdir / "samples.json").write_text(json.dumps(
                [[s.kind, round(s.at, 3), round(s.latency, 4), s.status] for s in traffic.samples]))
        if keep:
            print(f"logs kept in {stack.workdir}", file=sys.stderr)
        await stack.close(keep_logs=keep)


async def _scrape(stack: Stack) -> list[str]:
    """What the API's /metrics and each live worker's show an operator, summed by the figures that
    matter (the counts are the processes' own since they started)."""
    from prometheus_client.parser import text_string_to_metric_families

    targets = {"api": f"{stack.base_url}/metrics"}
    targets.update({name: f"http://127.0.0.1:{port}/metrics" for name, port in stack.worker_metrics.items()
                    if stack.workers[name].poll() is None})
    lines = []
    async with httpx.AsyncClient(timeout=10) as client:
        for who, url in targets.items():
            try:
                text = (await client.get(url)).text
            except httpx.HTTPError as exc:
                lines.append(f"{who}: no answer ({type(exc).__name__})")
                continue
            sums: dict[str, float] = {}
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    label = {"outcome": sample.labels.get("outcome"), "code": sample.labels.get("code"),
                             "stage": sample.labels.get("stage")}
                    suffix = ",".join(f"{k}={v}" for k, v in label.items() if v)
                    key = f"{sample.name}{{{suffix}}}" if suffix else sample.name
                    if sample.name in ("http_request_duration_seconds_count", "screen_cache_answers_total",
                                       "push_deliveries_total", "fcm_errors_total", "fcm_send_duration_seconds_count",
                                       "push_outbox_depth", "worker_job_lag_seconds_count"):
                        sums[key] = sums.get(key, 0) + sample.value
            lines.append(f"{who}: " + (", ".join(f"{k} {v:g}" for k, v in sorted(sums.items())) or "nothing counted"))
    return lines


async def _watch(stack: Stack, traffic: Traffic) -> None:
    """Tell at once when a worker dies on its own, and how the run goes once a minute."""
    seen: set[str] = set()
    next_progress = 60.0
    while True:
        for name in stack.dead_workers():
            if name not in seen:
                seen.add(name)
                traffic.note(f"{name} exited by itself with {stack.workers[name].returncode}")
        if traffic.now() >= next_progress:
            next_progress += 60.0
            errors = sum(1 for sample in traffic.samples if not sample.ok)
            print(f"  t={traffic.now():6.1f}s  {len(traffic.samples):,} requests answered, {errors:,} errors, "
                  f"{len(traffic.ledger.requested):,} pushes requested", flush=True)
        await asyncio.sleep(1.0)


def main() -> int:
    knobs = Knobs.from_env()

    async def guarded() -> int:
        task = asyncio.current_task()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        return await soak(knobs)

    try:
        return asyncio.run(guarded())
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("soak: interrupted; everything it started is stopped", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
