"""Readiness and liveness probes: which dependency is away, and whether the process still serves.

Readiness tells which dependency is away and whether the process serves without it: Redis away still
answers 200 ("degraded": sessions, screens and limits fall back to PostgreSQL and the process,
core/infra/breaker.py), so a load balancer does not pull every API process during a Redis blip; PostgreSQL
away is 503. Liveness never asks a dependency."""

from __future__ import annotations

import asyncio

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec

from core.infra.breaker import DependencyDown
from core.infra.db import ping
from core.infra.runtime import Runtime
from web.schemas import Output

PROBE_SECONDS = 2


class HealthAnswer(Output, kw_only=True):
    status: str  # ok | degraded (Redis away, served without it) | unavailable (PostgreSQL away)
    database: str
    redis: str


class LiveAnswer(Output, kw_only=True):
    status: str


class HealthController(Controller):
    path = "/health"
    tags = ["Health"]

    @get("/live", operation_id="GetLiveness", cache=False)
    async def live(self) -> LiveAnswer:
        """Liveness: 200 while the process can answer at all. It asks nothing of PostgreSQL or Redis,
        so an orchestrator never restarts a healthy process because a dependency is away (that is
        what the readiness check `GET /health` reports)."""
        return LiveAnswer(status="ok")

    @get("/", operation_id="GetHealth", cache=False, responses={503: ResponseSpec(
        HealthAnswer, description="Not ready: the answer names the dependency that does not answer")})
    async def health(self, runtime: Runtime) -> Response[HealthAnswer]:
        """200 `ok` once PostgreSQL and Redis both answer; 200 `degraded` while Redis is away (the
        API answers without it); 503 `unavailable` while PostgreSQL is away."""

        async def database() -> str:
            try:
                async with asyncio.timeout(PROBE_SECONDS):
                    await ping(runtime.engine)
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
                runtime.db_breaker.failed(exc)
                return "unavailable"
            runtime.db_breaker.succeeded()
            return "ok"

        async def redis() -> str:
            # Through the breaker: while it is open this costs no connection attempt, and once a
            # cool-down has passed the check is the probe that ends the outage.
            breaker = runtime.redis_breaker
            try:
                async with asyncio.timeout(PROBE_SECONDS):
                    await breaker.run(runtime.redis.ping)
            except DependencyDown:
                return "unavailable"
            except Exception as exc:  # noqa: BLE001 - a timeout, or any other failure
                breaker.failed(exc)
                return "unavailable"
            return "ok"

        db_state, redis_state = await asyncio.gather(database(), redis())
        if db_state != "ok":
            status, code = "unavailable", 503
        elif redis_state != "ok":
            status, code = "degraded", 200
        else:
            status, code = "ok", 200
        return Response(HealthAnswer(status=status, database=db_state, redis=redis_state), status_code=code)
