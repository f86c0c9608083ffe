"""Resident app screens under load (issue 5): requests/s and p50/p99 latency of Profile, My
Premises, People and My Orders for residents holding 1, 5 and 30 premises of the 500,000-client
partner (bench/dataset.py), 32 concurrent keep-alive connections against one uvicorn process, and
in the same run a baseline endpoint reading one row by primary key with a raw asyncpg query.
Each screen's throughput is reported as a ratio to the baseline. Targets: a cached screen >= 1.0 x,
p99 < 25 ms; a screen with the cache off >= 0.5 x, p99 < 40 ms. Run three times: with the screen cache as served (bff/cache.py); the same while integrations of the
other partners write (an object renamed over HTTP, BENCH_WRITES_PER_SECOND, 50 by default), which
must leave these residents' cached screens valid; and with the cache off (SCREEN_CACHE_SECONDS=0).

    python -m bench app_screens
    BENCH_SECONDS=3 BENCH_CLIENTS=20000 BENCH_PREMISES=8000 python -m bench app_screens   # quick

The load generator is a small asyncio HTTP/1.1 client (no wrk on the machine); it shares the 2
cores with the server, so absolute figures are lower than wrk's — the ratios are what to compare.
Each row also gives the CPU milliseconds per request the server process (`app cpu`) and the
database's PostgreSQL backends (`db cpu`, when PostgreSQL runs on this machine) spent: on a shared
machine those move much less than requests/s do."""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid

import msgspec

from bench import Figure
from bench.dataset import Dataset, build, connect, params_from_env

CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
WRITES_PER_SECOND = float(os.environ.get("BENCH_WRITES_PER_SECOND", "50"))
WRITES_MADE: dict[float, int] = {}  # by rate: the other partners' writes a run made
SECONDS = float(os.environ.get("BENCH_SECONDS", "8"))
# (ratio to the baseline at least, p99 ms below): a cached screen's, a cold screen's.
CACHED_TARGET = (1.0, 25.0)
COLD_TARGET = (0.5, 40.0)
ORDERS_PER_RESIDENT = 200


# --- the server: the real app plus the baseline route -------------------------------------------

class BaselineRow(msgspec.Struct, kw_only=True):
    id: str
    name: str
    kind: str


def bench_app():
    """uvicorn factory: the application of `bff serve`, plus GET /bench/baseline/{id}."""
    import asyncpg
    from litestar import get

    from core.infra.settings import load_settings
    from server.app import create_app

    settings = load_settings()
    pool: dict[str, asyncpg.Pool] = {}
    lock = asyncio.Lock()

    @get("/bench/baseline/{partner_id:str}", include_in_schema=False)
    async def baseline(partner_id: str) -> BaselineRow:
        if "pool" not in pool:
            async with lock:  # the first requests arrive together: one pool, not one each
                if "pool" not in pool:
                    from core.infra.reads import connect_args

                    pool["pool"] = await asyncpg.create_pool(**connect_args(settings.database_url),
                                                             min_size=10, max_size=10)
        row = await pool["pool"].fetchrow("SELECT id, name, kind FROM partner WHERE id = $1", uuid.UUID(partner_id))
        return BaselineRow(id=str(row["id"]), name=row["name"], kind=row["kind"])

    app = create_app(settings)
    app.register(baseline)
    return app


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def _wait_ready(port: int, process: subprocess.Popen) -> None:
    for _ in range(300):
        if process.poll() is not None:
            raise RuntimeError("the server exited")
        try:
            status, _ = await _one_request(port, "GET", "/health")
            if status == 200:
                return
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("the server did not become ready")


# --- a minimal keep-alive HTTP/1.1 client ------------------------------------------------------------

async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ")[1])
    length = 0
    chunked = False
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.lower() == "content-length":
            length = int(value)
        elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
            chunked = True
    if chunked:
        body = b""
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunk = await reader.readexactly(size + 2)
            if size == 0:
                return status, body
            body += chunk[:-2]
    return status, await reader.readexactly(length)


def _request_bytes(method: str, path: str, token: str | None = None, body: dict | None = None) -> bytes:
    payload = json.dumps(body).encode() if body is not None else b""
    headers = [f"{method} {path} HTTP/1.1", "Host: bench", "Connection: keep-alive"]
    if token:
        headers.append(f"Authorization: Bearer {token}")
    if body is not None:
        headers += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + payload


async def _one_request(port: int, method: str, path: str, body: dict | None = None,
                       token: str | None = None) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(_request_bytes(method, path, token, body))
        await writer.drain()
        return await _read_response(reader)
    finally:
        writer.close()


async def load(port: int, requests: list[bytes], seconds: float, connections: int) -> dict:
    """`connections` keep-alive connections send the requests round-robin for `seconds`."""
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        i = offset
        try:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                writer.write(requests[i % len(requests)])
                status, _ = await _read_response(reader)
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
                i += 1
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker(n) for n in range(connections)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {"rps": len(latencies) / elapsed, "p50": statistics.median(ordered) * 1000,
            "p99": ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)] * 1000, "n": len(latencies), "errors": errors}


# --- CPU per request: steadier than the wall clock on a shared machine ----------------------------------

def _cpu_ms(pid: int) -> float | None:
    """CPU time (user + system) a process of this machine has spent, in ms; None if /proc cannot tell."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU spent by the server process and by the PostgreSQL backends of the data set's database,
    read from /proc: requests/s swing with whatever else runs on the machine, CPU per request much
    less. The backends' figure is None when PostgreSQL runs on another machine."""

    def __init__(self, server_pid: int, database_url: str) -> None:
        self._server = server_pid
        self._url = database_url
        self._connection = None

    async def read(self) -> tuple[float | None, dict[int, float] | None]:
        if self._connection is None:
            self._connection = await connect(self._url)
        pids = await self._connection.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        backends: dict[int, float] | None = {}
        for (pid,) in pids:
            try:
                with open(f"/proc/{pid}/comm") as f:
                    local = f.read().startswith("postgres")
            except OSError:
                local = False
            used = _cpu_ms(pid) if local else None
            if used is None:
                backends = None
                break
            backends[pid] = used
        return _cpu_ms(self._server), backends

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()


async def measured_load(meter: CpuMeter, port: int, requests: list[bytes], seconds: float, connections: int) -> dict:
    """`load`, with the server's and PostgreSQL's CPU per request (ms, None where not known)."""
    app_before, db_before = await meter.read()
    result = await load(port, requests, seconds, connections)
    app_after, db_after = await meter.read()
    n = max(result["n"], 1)
    result["app_cpu"] = None if app_before is None or app_after is None else (app_after - app_before) / n
    result["db_cpu"] = None if db_before is None or db_after is None else sum(
        used - db_before.get(pid, 0.0) for pid, used in db_after.items()) / n
    return result


# --- data the screens need beyond the CRM data set --------------------------------------------------

async def _orders(dataset: Dataset) -> None:
    """Orders for the residents (on their first premise), so My Orders has something to sort."""
    connection = await connect(dataset.database_url)
    try:
        partner = uuid.UUID(dataset.partner_id)
        for size, resident in dataset.residents.items():
            client = uuid.UUID(resident.client_id)
            have = await connection.fetchval("SELECT count(*) FROM client_order WHERE client_id = $1", client)
            if have >= ORDERS_PER_RESIDENT:
                continue
            start = await connection.fetchval(
                "SELECT COALESCE(max(number), 0) FROM client_order WHERE partner_id = $1", partner)
            statuses = ("waiting", "in_progress", "done", "cancelled", "paused")
            await connection.executemany(
                "INSERT INTO client_order (id, partner_id, kind, number, title, status, premise_id, client_id, "
                "created_at, updated_at, changed_for_client_at) VALUES ($1, $2, 'requests', $3, $4, $5, $6, $7, "
                "now() - make_interval(hours => $3::int), now(), CASE WHEN $3::int % 7 = 0 THEN now() END)",
                [(uuid.uuid4(), partner, start + n + 1, f"Заявка {n}", statuses[n % len(statuses)],
                  uuid.UUID(resident.premise_ids[0]), client) for n in range(ORDERS_PER_RESIDENT)])
        await connection.execute("ANALYZE client_order")
    finally:
        await connection.close()


async def _login(port: int, phone: str) -> str:
    status, body = await _one_request(port, "POST", "/app/v1/auth/otp", {"phone": phone})
    assert status == 200, body
    code = json.loads(body)["debug_code"]
    status, body = await _one_request(port, "POST", "/app/v1/auth/login", {
        "phone": phone, "code": code, "device": {"app_id": "domiland", "platform": "android", "app_version": "4.8.0"}})
    assert status == 200, body
    return json.loads(body)["access_token"]


SCREENS = {
    "Profile": "/app/v1/screens/profile",
    "My Premises": "/app/v1/screens/my-premises",
    "People": "/app/v1/screens/people",
    "My Orders": "/app/v1/screens/my-orders",
}


# The screens as served (reads cached in Redis, renewed by the writes to what they show), the same
# while other partners write, and with the cache off (every request runs the screen's one
# statement), each against its own baseline run: (environment, other partners' writes per second).
MODES = {
    "screen cache on": ({}, 0.0),
    f"screen cache on, other partners writing {WRITES_PER_SECOND:.0f}/s": ({}, WRITES_PER_SECOND),
    "screen cache off": ({"SCREEN_CACHE_SECONDS": "0"}, 0.0),
}


async def run(argv: list[str]) -> dict[str, list[tuple[str, dict]]]:
    dataset = await build(**params_from_env(argv))
    await _orders(dataset)
    writers = await _other_partners_writers(dataset)
    return {mode: await _run_mode(dataset, extra, writers if rate else [], rate)
            for mode, (extra, rate) in MODES.items()}


async def _other_partners_writers(dataset: Dataset) -> list[tuple[str, str]]:
    """An integration API key and an object of each small partner: (key, object id)."""
    from core.partners.service import API_KEY_PREFIX
    from core.infra.security import new_secret, sha256_hex

    connection = await connect(dataset.database_url)
    try:
        await connection.execute("DELETE FROM api_key WHERE name = 'bench writer'")
        writers = []
        for partner_id, object_id in await connection.fetch(
                "SELECT DISTINCT ON (partner_id) partner_id, id FROM estate_object WHERE partner_id <> $1 "
                "ORDER BY partner_id, id", uuid.UUID(dataset.partner_id)):
            plain = API_KEY_PREFIX + new_secret(32)
            await connection.execute(
                "INSERT INTO api_key (id, partner_id, name, key_hash, prefix, created_at) "
                "VALUES ($1, $2, 'bench writer', $3, $4, now())",
                uuid.uuid4(), partner_id, sha256_hex(plain), plain[:10])
            writers.append((plain, str(object_id)))
        return writers
    finally:
        await connection.close()


async def _write_steadily(port: int, writers: list[tuple[str, str]], rate: float, stop: asyncio.Event) -> int:
    """Rename the writers' objects in turn, `rate` times a second, until `stop`; the writes made."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    made = 0
    try:
        started = time.perf_counter()
        while not stop.is_set():
            key, object_id = writers[made % len(writers)]
            writer.write(_request_bytes("PATCH", f"/crm/v1/objects/{object_id}", key, {"name": f"ЖК Запись {made}"}))
            status, body = await _read_response(reader)
            if status != 200:
                raise RuntimeError(f"a bench write failed: {status} {body[:200]!r}")
            made += 1
            try:  # the next write is due at made / rate seconds after the start
                await asyncio.wait_for(stop.wait(), max(0.0, started + made / rate - time.perf_counter()))
            except TimeoutError:
                pass
    finally:
        writer.close()
    return made


async def _run_mode(dataset: Dataset, extra: dict[str, str], writers: list[tuple[str, str]],
                    rate: float) -> list[tuple[str, dict]]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": dataset.database_url, "SMS_PROVIDER": "debug", "APP_ENV": "development",
           "WORKER_IN_PROCESS": "false", "APP_REQUESTS_PER_MINUTE": "100000000", "LOG_LEVEL": "WARNING",
           "OTP_PER_PHONE_HOUR": "1000", "OTP_PER_IP_HOUR": "100000", "LOGIN_PER_PHONE_HOUR": "1000", **extra}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "bench.app_screens:bench_app", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning", "--no-access-log", "--loop", "uvloop"
         if _has("uvloop") else "asyncio", "--http", "httptools" if _has("httptools") else "h11"],
        env=env)
    results: list[tuple[str, dict]] = []
    stop = asyncio.Event()
    writing = None
    meter = CpuMeter(process.pid, dataset.database_url)
    try:
        await _wait_ready(port, process)
        tokens = {size: await _login(port, r.phone) for size, r in sorted(dataset.residents.items())}
        if writers:
            writing = asyncio.create_task(_write_steadily(port, writers, rate, stop))
        warm = SECONDS / 4
        baseline_request = [_request_bytes("GET", f"/bench/baseline/{dataset.partner_id}")]
        await load(port, baseline_request, warm, CONNECTIONS)
        baseline = await measured_load(meter, port, baseline_request, SECONDS, CONNECTIONS)
        results.append(("baseline (raw asyncpg, one row by pk)", baseline))
        for name, path in SCREENS.items():
            for size, token in tokens.items():
                requests = [_request_bytes("GET", path, token)]
                await load(port, requests, warm, CONNECTIONS)
                results.append((f"{name} ({size} premises)",
                                await measured_load(meter, port, requests, SECONDS, CONNECTIONS)))
        results.append(("baseline again", await measured_load(meter, port, baseline_request, SECONDS, CONNECTIONS)))
        if writing is not None:
            stop.set()
            WRITES_MADE[rate] = await writing
    finally:
        stop.set()
        await meter.close()
        process.terminate()
        process.wait(timeout=10)
    return results


def _has(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: list[str]) -> list[Figure]:
    figures: list[Figure] = []
    for mode, results in asyncio.run(run(argv)).items():
        _print(mode, results)
        rate = MODES[mode][1]
        if rate:
            print(f"(other partners' integrations renamed an object {WRITES_MADE.get(rate, 0):,} times "
                  "during this run)")
        figures += _figures(mode, results)
    return figures


def _figures(mode: str, results: list[tuple[str, dict]]) -> list[Figure]:
    """One verdict per screen and mode for the closing table: its lowest ratio to the baseline and
    highest p99 over the premise counts, with its CPU per request beside them."""
    target = COLD_TARGET if "SCREEN_CACHE_SECONDS" in MODES[mode][0] else CACHED_TARGET
    base = statistics.fmean([r["rps"] for name, r in results if name.startswith("baseline")])
    screens: dict[str, list[dict]] = {}
    for name, r in results:
        if not name.startswith("baseline"):
            screens.setdefault(name.split(" (")[0], []).append(r)
    figures = []
    for screen, runs in screens.items():
        ratio = min(r["rps"] for r in runs) / base
        p99 = max(r["p99"] for r in runs)
        cpu = max((r.get("app_cpu") or 0) + (r.get("db_cpu") or 0) for r in runs)
        figures.append(Figure(
            "app_screens", f"{mode}: {screen}", f">= {target[0]}x, p99 < {target[1]:.0f} ms",
            f"{ratio:.2f}x, p99 {p99:.0f} ms, {cpu:.2f} ms CPU", ratio >= target[0] and p99 < target[1]))
    return figures


def _print(mode: str, results: list[tuple[str, dict]]) -> None:
    target = COLD_TARGET if "SCREEN_CACHE_SECONDS" in MODES[mode][0] else CACHED_TARGET
    base = statistics.fmean([r["rps"] for name, r in results if name.startswith("baseline")])
    print(f"{mode}: {CONNECTIONS} connections, {SECONDS:.0f} s per endpoint, one server process; "
          f"baseline {base:,.0f} req/s (mean of the two baseline runs)")
    print(f"{'endpoint':44} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'ratio':>6} {'errors':>6} "
          f"{'app cpu':>8} {'db cpu':>8}  verdict")
    for name, r in results:
        ratio = r["rps"] / base
        ok = name.startswith("baseline") or (ratio >= target[0] and r["p99"] < target[1])
        print(f"{name:44} {r['rps']:8,.0f} {r['p50']:8.1f} {r['p99']:8.1f} {ratio:6.2f} {r['errors']:6d} "
              f"{_ms(r.get('app_cpu')):>8} {_ms(r.get('db_cpu')):>8}  {'ok' if ok else 'MISSES TARGET'}")


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
