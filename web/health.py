from __future__ import annotations

import asyncio

from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec
from sqlalchemy import text

from core.runtime import Runtime
from web.schemas import Output


class HealthAnswer(Output, kw_only=True):
    status: str
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
        """200 once PostgreSQL and Redis both answer; 503 naming the one that does not."""

        async def database() -> str:
            async with runtime.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return "ok"

        async def redis() -> str:
            await runtime.redis.ping()
            return "ok"

        async def probe(check) -> str:
            try:
                return await asyncio.wait_for(check(), timeout=2)
            except Exception:  # noqa: BLE001 - any failure means "not ready"
                return "unavailable"

        db_state, redis_state = await asyncio.gather(probe(database), probe(redis))
        ok = db_state == redis_state == "ok"
        body = HealthAnswer(status="ok" if ok else "unavailable", database=db_state, redis=redis_state)
        return Response(body, status_code=200 if ok else 503)
