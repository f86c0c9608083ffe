"""Push fan-out throughput, in one run (the issue's measurement):

(a) the raw firebase-admin SDK pushing N messages (the same messages the pipeline sends) straight
    to a loopback fake FCM: `send_each` on threads (the SDK's fastest path, and the one our
    transport uses) and, for comparison, `send_each_async` on min(N, PUSH_BENCH_ASYNC_N, 10,000);
(b) our pipeline fanning one mailing out to N devices end to end (mailing committed -> FCM
    accepted -> statuses written, timed by the rows' own `sent_at`) with 1 and 2 worker
    processes; how long after the mailing's commit the first push was accepted; each worker's
    peak RSS, and that of the process that created the mailing (the API's service call);

and from these, how many worker processes FCM's quota of 10,000 messages/s per project needs.

The fake runs in a process of its own so it does not share a GIL with what it measures; (a)
runs in a fresh process too (on at most 20,000 messages: its rate does not depend on N).
`python -m bench push_fanout`; N from PUSH_BENCH_N, a comma list (default 20000,200000: the
worker counts of PUSH_BENCH_WORKERS, default 1,2, run at the first size; the larger sizes with
one worker, to show memory stays flat)."""

from __future__ import annotations

import asyncio
import json
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import text

from bench import Figure

FCM_QUOTA_PER_SECOND = 10_000
RAW_MAX = 20_000
# Targets of the issue (measured on a 2-core machine).
TARGET_RATIO = 0.9
TARGET_FIRST_SECONDS = 0.5
TARGET_SCALING = 1.6
# Peak RSS "flat": the largest size's within this much of the smallest's.
RSS_GROWTH = 1.1
ASYNC_SAMPLE = int(os.environ.get("PUSH_BENCH_ASYNC_N", "10000"))


def main(argv: list[str]) -> list[Figure] | None:
    if argv and argv[0] == "raw":
        asyncio.run(_raw(argv[1], argv[2], int(argv[3]), int(argv[4]) if len(argv) > 4 else ASYNC_SAMPLE))
        return None
    if argv and argv[0] == "worker":
        asyncio.run(_worker(argv[1], argv[2], argv[3]))
        return None
    if argv and argv[0] == "mailing":
        asyncio.run(_mailing(argv[1]))
        return None
    sizes = [int(n) for n in os.environ.get("PUSH_BENCH_N", "20000,200000").split(",") if n.strip()]
    workers = [int(w) for w in os.environ.get("PUSH_BENCH_WORKERS", "1,2").split(",") if w.strip()]
    return asyncio.run(_main(sizes, workers))


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _child(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "bench.push_fanout", *args], stdout=subprocess.PIPE,
                            text=True, cwd=Path(__file__).resolve().parent.parent)


# ---- (a) the raw SDK, in a process of its own -----------------------------------------------

async def _raw(base_url: str, key: str, n: int, async_n: int) -> None:
    from push.config import PushConfig
    from push.fcm import FcmTransport, build_message
    from push.transport import OutgoingPush

    # The same HTTP client as our transport (retries off, pooled), then the SDK's own calls.
    transport = FcmTransport(PushConfig(credentials=key, fcm_base_url=base_url), lambda: None)
    await transport.warm_up()
    service = transport.projects["*"].service
    # The messages the pipeline sends for the bench mailing (notification, data with the deep
    # mailing id, Android tag, APNs collapse id), so (b) / (a) is the pipeline's own cost.
    msgs = [build_message(OutgoingPush(delivery_id=uuid.uuid4(), message_id=uuid.uuid4(), token=f"bench-{i}",
                                       app_id="domiland", platform="android", type="mailings", title="Бенчмарк",
                                       body="Текст", deep_link=None, brand=None, premise_id=None,
                                       data={"mailing_id": str(uuid.uuid4())}))
            for i in range(min(n, 500))]
    await asyncio.to_thread(service.send_each, msgs[:50], False)  # connect, fetch the token
    started = time.perf_counter()
    for i in range(0, n, 500):
        await asyncio.to_thread(service.send_each, msgs[:min(500, n - i)], False)
    threads = n / (time.perf_counter() - started)
    sample = min(n, async_n)
    await service.send_each_async(msgs[:50], dry_run=False)
    started = time.perf_counter()
    for i in range(0, sample, 500):
        await service.send_each_async(msgs[:min(500, sample - i)], dry_run=False)
    async_rate = sample / (time.perf_counter() - started)
    await transport.close()
    print(json.dumps({"threads": threads, "async": async_rate, "async_n": sample, "rss": _peak_rss_mib()}))


# ---- (b) one worker process -----------------------------------------------------------------

async def _worker(database_url: str, base_url: str, key: str) -> None:
    import msgspec

    from core.process import open_runtime
    from core.infra.settings import load_settings
    from push.config import push_config
    from push.delivery import Deliverer
    from push.fcm import FcmTransport
    from push.service import run_push

    settings = msgspec.structs.replace(load_settings(), database_url=database_url)
    rt = open_runtime(settings)
    # PUSH_BENCH_WAKE=0: the workers as they were before wake-ups: the idle poll alone, and a
    # whole chunk and batch first.
    before = os.environ.get("PUSH_BENCH_WAKE", "1") == "0"
    config = push_config(settings, credentials=key, app_credentials={}, fcm_base_url=base_url,
                         **({"listen": False, "first_batch": 500} if before else {}))
    transport = FcmTransport(config, rt.clock.now)
    await transport.warm_up()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    try:
        await run_push(Deliverer(rt, transport, config), stop)
    finally:
        await transport.close()
        await rt.close()
    print(json.dumps({"rss": _peak_rss_mib()}), flush=True)


# ---- (c) the mailing, created as the API creates it, in a process of its own ------------------

async def _mailing(database_url: str) -> None:
    from datetime import UTC, datetime

    import msgspec

    from core.infra.db import commit
    from core.notifications.mailings import RecipientFilter, create_mailing
    from core.partners.service import PartnerPrincipal
    from core.process import open_runtime
    from core.infra.settings import load_settings

    rt = open_runtime(msgspec.structs.replace(load_settings(), database_url=database_url), pool_size=2)
    try:
        async with rt.sessionmaker() as db:
            partner = await db.scalar(text("SELECT id FROM partner"))
            actor = PartnerPrincipal(partner_id=partner, actor_type="api_key", actor_id=uuid.uuid4())
            await create_mailing(db, actor, channel="push", title="Бенчмарк", body="Текст", flt=RecipientFilter(),
                                 now=datetime.now(UTC))
            await commit(db)
            committed = time.time()
    finally:
        await rt.close()
    print(json.dumps({"committed": committed, "rss": _peak_rss_mib()}), flush=True)


# ---- the run --------------------------------------------------------------------------------

async def _main(sizes: list[int], workers: list[int]) -> list[Figure]:
    from core.infra.database_url import with_database
    from core.infra.db import create_engine
    from core.infra.runtime import database_url_of
    from core.infra.settings import load_settings
    from tests.push.fake_fcm import service_account_key

    fake = subprocess.Popen([sys.executable, "-m", "tests.push.fake_fcm"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent)
    base_url = fake.stdout.readline().strip()
    key = str(service_account_key(Path(tempfile.mkdtemp()) / "key.json", base_url + "/token"))
    settings = load_settings()
    base = database_url_of(settings)
    admin = create_engine(with_database(base, "postgres"), pool_size=1, isolation_level="AUTOCOMMIT")
    runs: list[Run] = []
    raws: dict[int, dict] = {}
    try:
        for index, n in enumerate(sizes):
            raw = raws[n] = _raw_in_child(base_url, key, min(n, RAW_MAX))
            print(f"N={n:,}  (a) raw SDK on {min(n, RAW_MAX):,}: send_each on threads {raw['threads']:,.0f}/s; "
                  f"send_each_async {raw['async']:,.0f}/s (on {raw['async_n']:,}); process peak RSS "
                  f"{raw['rss']:.0f} MiB", flush=True)
            if index == 0 and 2 in workers:
                # What this machine allows two senders at all: the raw SDK in two processes at once.
                raw["two"] = _raw_in_child(base_url, key, min(n, RAW_MAX) // 2, count=2)["threads"]
                print(f"N={n:,}  (a) raw SDK in two processes at once: {raw['two']:,.0f}/s = "
                      f"{raw['two'] / raw['threads']:.2f} x one", flush=True)
            name = f"bench_push_{uuid.uuid4().hex[:6]}"
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            url = with_database(base, name)
            try:
                await _seed(url, n)
                for count in workers if index == 0 else [1]:
                    run = await _pipeline(url, base_url, key, n, count)
                    runs.append(run)
                    print(f"N={n:,}  (b) pipeline, {count} worker(s): {run.seconds:.1f} s, {run.rate:,.0f}/s = "
                          f"{run.rate / count / raw['threads']:.2f} x the raw SDK before per worker; first push "
                          f"{run.first:.2f} s after the mailing's commit; peak RSS per worker "
                          f"{', '.join(f'{r:.0f}' for r in run.rss)} MiB, of the process that created the "
                          f"mailing {run.server_rss:.0f} MiB", flush=True)
            finally:
                async with admin.connect() as conn:
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            # The machine's other load drifts: the raw SDK once more after the pipeline, and the
            # ratio taken against the mean of both.
            after = _raw_in_child(base_url, key, min(n, RAW_MAX), async_n=50)["threads"]
            print(f"N={n:,}  (a) raw SDK again after the pipeline: {after:,.0f}/s (before: {raw['threads']:,.0f}/s)",
                  flush=True)
            raw["threads"] = (raw["threads"] + after) / 2
    finally:
        await admin.dispose()
        fake.stdin.close()
        fake.wait(timeout=10)
    return _summary(runs, raws)


def _raw_in_child(base_url: str, key: str, n: int, count: int = 1, async_n: int = ASYNC_SAMPLE) -> dict:
    """The raw SDK in `count` processes at once; their summed rate of `send_each` on threads
    (`send_each_async` is tried by a lone process only)."""
    async_n = async_n if count == 1 else 50
    children = [_child("raw", base_url, key, str(n), str(async_n)) for _ in range(count)]
    answers = []
    for child in children:
        out, _ = child.communicate()
        if child.returncode:
            raise RuntimeError(f"raw SDK run failed ({child.returncode})")
        answers.append(json.loads(out.strip().splitlines()[-1]))
    return {**answers[0], "threads": sum(answer["threads"] for answer in answers)}


async def _seed(url: str, n: int) -> None:
    from core.infra.db import create_engine
    from core.infra.migrate import upgrade_async

    await upgrade_async(url)
    engine = create_engine(url, pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO partner (name, kind) VALUES ('Bench', 'management')"))
        await conn.execute(text("""
            INSERT INTO account (phone) SELECT '+7901' || lpad(i::text, 7, '0') FROM generate_series(1, :n) i"""),
                           {"n": n})
        await conn.execute(text("""INSERT INTO client (partner_id, phone, last_name, first_name)
                                   SELECT (SELECT id FROM partner), phone, 'Иванов', 'Иван' FROM account"""))
        # The partner's white-label app: a partner's mailing reaches the sessions of its own apps.
        await conn.execute(text("""INSERT INTO brand (partner_id, slug, name, colors, icon_url)
                                   SELECT id, 'bench', 'Bench', '{}'::jsonb, 'https://cdn.example.com/bench.png'
                                   FROM partner"""))
        await conn.execute(text("""INSERT INTO device_session (account_id, app_id, platform, fcm_token,
                                   os_notifications_enabled)
                                   SELECT id, 'bench', 'android', 'b-' || phone, TRUE FROM account"""))
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE"))
    await engine.dispose()


@dataclass(frozen=True, slots=True)
class Run:
    n: int
    workers: int
    seconds: float  # from the mailing's commit to the last push accepted
    first: float  # from the mailing's commit to the first push accepted
    rss: list[float]  # each worker's peak, MiB
    server_rss: float  # the process that created the mailing, MiB

    @property
    def rate(self) -> float:
        return self.n / self.seconds


async def _pipeline(url: str, base_url: str, key: str, n: int, count: int) -> Run:
    """One mailing to all N clients, `count` worker processes."""
    from core.infra.db import create_engine

    engine = create_engine(url, pool_size=2)
    async with engine.begin() as conn:
        await conn.execute(text("TRUNCATE push_delivery, push_message, mailing_recipient, mailing CASCADE"))
    sync_url = url.replace("+asyncpg", "")
    procs = [_child("worker", sync_url, base_url, key) for _ in range(count)]
    try:
        for proc in procs:
            if proc.stdout.readline().strip() != "ready":
                raise RuntimeError("a bench worker did not start")
        creator = _child("mailing", sync_url)
        out, _ = creator.communicate(timeout=600)
        if creator.returncode:
            raise RuntimeError("the bench mailing could not be created")
        created = json.loads(out.strip().splitlines()[-1])
        while True:
            await asyncio.sleep(0.1)
            async with engine.connect() as conn:
                left = await conn.scalar(text("""SELECT count(*) FROM mailing_recipient WHERE status = 'pending'"""))
                done = await conn.scalar(text("SELECT count(*) FROM push_delivery WHERE status = 'sent'"))
            if not left and done >= n:
                break
            if any(proc.poll() is not None for proc in procs):
                raise RuntimeError("a bench worker exited")
        async with engine.connect() as conn:
            first, last = (await conn.execute(text(
                "SELECT min(sent_at), max(sent_at) FROM push_delivery WHERE status = 'sent'"))).one()
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        rss = []
        for proc in procs:
            out, _ = proc.communicate(timeout=60)
            lines = [line for line in out.splitlines() if line.startswith("{")]
            rss.append(json.loads(lines[-1])["rss"] if lines else float("nan"))
        await engine.dispose()
    return Run(n, count, last.timestamp() - created["committed"], first.timestamp() - created["committed"], rss,
               created["rss"])


def _summary(runs: list[Run], raws: dict[int, dict]) -> list[Figure]:
    figures = []
    by = {(run.n, run.workers): run for run in runs}
    sizes = sorted({run.n for run in runs})
    for n in sizes:
        one, two = by.get((n, 1)), by.get((n, 2))
        if one and n == sizes[0]:  # the targets' size; the larger ones show memory
            ratio = one.rate / raws[n]["threads"]
            print(f"N={n:,}  one worker / the raw SDK (mean of before and after): {ratio:.2f} x", flush=True)
            figures.append(Figure("push_fanout", f"N={n:,}: 1 worker / raw SDK", f">= {TARGET_RATIO}x",
                                  f"{ratio:.2f}x ({one.rate:,.0f}/s)", ratio >= TARGET_RATIO))
            figures.append(Figure("push_fanout", f"N={n:,}: first push after the mailing",
                                  f"< {TARGET_FIRST_SECONDS} s", f"{one.first:.2f} s", one.first < TARGET_FIRST_SECONDS))
        if one and two:
            scaling = two.rate / one.rate
            print(f"N={n:,}  two workers / one: {scaling:.2f} x", flush=True)
            ceiling = f"; raw SDK {raws[n]['two'] / raws[n]['threads']:.2f}x" if "two" in raws[n] else ""
            figures.append(Figure("push_fanout", f"N={n:,}: two workers / one", f">= {TARGET_SCALING}x",
                                  f"{scaling:.2f}x ({two.rate:,.0f}/s{ceiling})", scaling >= TARGET_SCALING))
    if len(sizes) > 1:
        small, large = by.get((sizes[0], 1)), by.get((sizes[-1], 1))
        if small and large:
            for what, low, high in (("worker", small.rss[0], large.rss[0]),
                                    ("mailing's creator", small.server_rss, large.server_rss)):
                figures.append(Figure("push_fanout", f"peak RSS of the {what}, N={sizes[0]:,} -> {sizes[-1]:,}",
                                      f"<= {RSS_GROWTH}x", f"{low:.0f} -> {high:.0f} MiB",
                                      high <= low * RSS_GROWTH))
    ones = [run.rate for run in runs if run.workers == 1]
    if ones:
        per_worker = min(ones)
        print(f"FCM's quota of {FCM_QUOTA_PER_SECOND:,}/s per project: about "
              f"{math.ceil(FCM_QUOTA_PER_SECOND / per_worker)} worker processes at {per_worker:,.0f}/s each "
              f"(one core each, plus PostgreSQL), on paper", flush=True)
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
