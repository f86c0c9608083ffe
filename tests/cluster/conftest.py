"""The app on a Redis Cluster: three redis-server masters on loopback, started once per test
process; the tests of this directory get a runtime, app and HTTP client on it (REDIS_URL
`?cluster=true`), the rest of the scaffolding (database, clock, isolation) as everywhere."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import msgspec
import pytest

from core.infra.clock import ManualClock
from core.infra.runtime import Runtime, connect_redis
from core.infra.settings import Settings
from tests.conftest import app_fixtures, runtime_on
from tests.servers import start_redis_cluster, stop


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory) -> Iterator[list[int]]:
    """The ports of the cluster's three masters."""
    processes, ports = start_redis_cluster(str(tmp_path_factory.mktemp("redis-cluster")))
    yield ports
    stop(processes)


@pytest.fixture(scope="session")
async def runtime(base_settings: Settings, database: str, clock: ManualClock,
                  redis_cluster: list[int]) -> AsyncIterator[Runtime]:
    settings = msgspec.structs.replace(base_settings, redis_url=f"redis://127.0.0.1:{redis_cluster[0]}/0?cluster=true")
    rt = runtime_on(settings, database, clock, connect_redis(settings))
    yield rt
    await rt.close()


app, http = app_fixtures()
