"""Redis behind Sentinel (REDIS_SENTINELS): a primary, a replica and three sentinels on loopback.
The primary is killed while a resident uses the app and staff send notifications: requests
answer 503 only until the sentinels promote the replica, then the same session, its rate counter
and every push asked for are still there."""

from __future__ import annotations

import asyncio
import signal
import subprocess

import msgspec
import pytest
import redis.asyncio as aioredis
from sqlalchemy import func, select

from core.models import PushMessage
from core.infra.runtime import connect_redis
from tests.crm import factories as f
from tests.servers import free_port, start_redis, start_sentinel
from tests.support import api_key_headers, bearer, create_partner, expect, login_resident

MASTER = "resident-redis"


@pytest.fixture
def sentinel_redis(tmp_path):
    """(primary process, primary port, sentinel addresses): a primary, its replica, three sentinels."""
    processes: list[subprocess.Popen] = []
    primary_port, replica_port = free_port(), free_port()
    try:
        processes.append(start_redis(primary_port, str(tmp_path), "--repl-diskless-sync-delay", "0"))
        replica_dir = tmp_path / "replica"
        replica_dir.mkdir()
        processes.append(start_redis(replica_port, str(replica_dir), "--replicaof", "127.0.0.1", str(primary_port)))
        sentinels = []
        for n in range(3):
            port = free_port()
            processes.append(start_sentinel(port, str(tmp_path / f"sentinel-{n}.conf"), primary_port, MASTER))
            sentinels.append(f"127.0.0.1:{port}")
        yield processes[0], primary_port, tuple(sentinels)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
            process.wait()


async def _until(check, what: str, attempts: int = 300):
    """Poll `check` (every 50 ms, 15 s at most) until it answers something true."""
    for _ in range(attempts):
        if answer := await check():
            return answer
        await asyncio.sleep(0.05)
    raise AssertionError(f"no {what} in time")


async def _sentinels_ready(primary_port: int, sentinels: tuple[str, ...]) -> None:
    """The replica is in sync and each sentinel knows it and the two others: a failover can be
    agreed on and loses nothing."""
    clients = [aioredis.Redis(host=a.split(":")[0], port=int(a.split(":")[1]), decode_responses=True)
               for a in sentinels]
    primary = aioredis.Redis(port=primary_port, decode_responses=True)

    async def ready() -> bool:
        if (await primary.info("replication")).get("slave0", {}).get("state") != "online":
            return False
        for client in clients:
            if (len(await client.execute_command("SENTINEL", "REPLICAS", MASTER)) < 1
                    or len(await client.execute_command("SENTINEL", "SENTINELS", MASTER)) < 2):
                return False
        return True

    try:
        await _until(ready, "sentinels aware of each other")
    finally:
        for client in (*clients, primary):
            await client.aclose()


async def test_a_sentinel_failover_costs_some_503s_and_no_session_counter_or_push(http, db, runtime,
                                                                                 sentinel_redis):
    """Rule: PUSH-05, PUSH-03 — the API on Redis behind Sentinel: the primary killed, the API
    answers without Redis (from PostgreSQL) until the replica is promoted, then with it again for
    the same session; the session's rate counter survived and every notification answered 201
    has its push."""
    primary, primary_port, sentinels = sentinel_redis
    settings = msgspec.structs.replace(runtime.settings, redis_url="redis://:@/3", redis_sentinels=sentinels,
                                       redis_sentinel_master=MASTER)
    plain = runtime.redis
    runtime.redis = connect_redis(settings)
    try:
        await _sentinels_ready(primary_port, sentinels)
        partner = await create_partner(http)
        premise, client = await f.premise(db, partner), await f.client(db, partner)
        await f.link(db, premise, client)
        resident = bearer((await login_resident(http, client.phone))["access_token"])
        key = await api_key_headers(http, partner)
        notify = {"client_id": str(client.id), "premise_id": str(premise.id), "type": "news", "title": "Вода",
                  "body": "Отключение"}
        for _ in range(3):
            expect(await http.get("/app/v1/screens/profile", headers=resident), 200)
        counters = {k: await runtime.redis.get(k) for k in await runtime.redis.keys("rl:app_requests:*")}
        assert list(counters.values()) == ["3"]
        # What was written is on the replica before the primary dies.
        replica_client = runtime.redis  # the same keys, read through the promoted node later
        assert await runtime.redis.execute_command("WAIT", 1, 5000) == 1

        primary.send_signal(signal.SIGKILL)
        primary.wait()
        statuses, pushes_asked, seen_down = [], 0, False
        started = runtime.clock.now()

        async def recovered() -> bool:
            nonlocal pushes_asked, seen_down
            runtime.clock.advance(seconds=1)  # a probe of Redis every few attempts
            screen = await http.get("/app/v1/screens/profile", headers=resident)
            sent = await http.post("/crm/v1/notifications", headers=key, json=notify)
            statuses.extend([screen.status_code, sent.status_code])
            for answer in (screen, sent):
                if answer.status_code == 503:
                    assert answer.headers["content-type"].startswith("application/problem+json")
            pushes_asked += sent.status_code == 201
            seen_down |= not runtime.redis_breaker.closed
            return screen.status_code == 200 and runtime.redis_breaker.closed

        await _until(recovered, "promoted replica", attempts=400)
        runtime.clock.set(started)  # the rate window of the counter read before
        assert set(statuses) <= {200, 201, 503}, statuses
        assert seen_down  # the failover was seen, not slept through

        sentinel = aioredis.Redis(host=sentinels[0].split(":")[0], port=int(sentinels[0].split(":")[1]))
        _, new_port = await sentinel.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)
        await sentinel.aclose()
        assert int(new_port) != primary_port
        for _ in range(2):
            expect(await http.get("/app/v1/screens/profile", headers=resident), 200)
        (counter, value), = counters.items()
        assert int(await replica_client.get(counter)) >= int(value) + 2  # counted on, not reset
        expect(await http.post("/crm/v1/notifications", headers=key, json=notify), 201)
        pushes_asked += 1
        assert await db.scalar(select(func.count()).select_from(PushMessage)) == pushes_asked
        assert (await login_resident(http, client.phone))["access_token"]  # new codes work on the new primary
    finally:
        await runtime.redis.aclose()
        runtime.redis = plain
