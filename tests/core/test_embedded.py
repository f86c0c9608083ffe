"""The embedded PostgreSQL and Redis (core/infra/embedded.py) stop with their last user, whichever way
it ends: `bff serve` stopped by SIGTERM stops them; one killed outright (SIGKILL) leaves them to
the next process, which stops them when it ends."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serve(cwd: Path) -> tuple[subprocess.Popen, str]:
    """`bff serve` with neither DATABASE_URL nor REDIS_URL: its own embedded servers in ./var/."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "VAR_DIR", "APP_ENV")}
    env.update(WORKER_IN_PROCESS="0", LOG_LEVEL="WARNING")
    port = _free_port()
    process = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "bff"), "serve", "--port", str(port)],
                               cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read().decode(errors="replace")[-3000:]
        try:
            if httpx.get(base + "/health", timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            pass
        time.sleep(0.2)  # polling for readiness, not timing anything
    process.kill()
    raise AssertionError("bff serve did not become ready")


def _server_pids(var: Path) -> dict[str, int | None]:
    def first_line(path: Path) -> int | None:
        try:
            return int(path.read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    return {"postgres": first_line(var / "pg" / "postmaster.pid"), "redis": first_line(var / "redis" / "redis.pid")}


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


@pytest.mark.no_db
def test_embedded_servers_stop_with_their_last_user_after_sigterm_and_after_a_sigkill(tmp_path):
    var = tmp_path / "var"
    killed, _ = _serve(tmp_path)
    first = _server_pids(var)
    assert all(first.values()) and all(_running(pid) for pid in first.values())

    # Killed outright: nothing of it ran at exit; the servers are left to the next process.
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert all(_running(pid) for pid in first.values())

    server, base = _serve(tmp_path)
    assert _server_pids(var) == first  # joined the running servers
    assert httpx.get(base + "/health", timeout=5).json() == {"status": "ok", "database": "ok", "redis": "ok"}
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)

    assert not any(_running(pid) for pid in first.values())
    assert _server_pids(var) == {"postgres": None, "redis": None}
    assert not (var / "redis" / "redis.sock").exists() and not list((var / "pg").glob(".s.PGSQL.*"))
    assert list((var / "users").iterdir()) == []
