"""HTTP metrics: every routed request's latency by method, route template (never the raw path,
which would make a series per id) and status, the requests in flight, and `GET /metrics`."""

from __future__ import annotations

import time

from litestar import Controller, Response, get
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from core.infra import metrics
from core.infra.runtime import Runtime


def metrics_middleware(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        status = 500  # what the server answers when the handler dies before starting a response

        async def sending(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        started = time.perf_counter()
        metrics.IN_FLIGHT.inc()
        try:
            await app(scope, receive, sending)
        finally:
            metrics.IN_FLIGHT.dec()
            route = scope.get("path_template") or "unmatched"
            metrics.REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(time.perf_counter() - started)

    return middleware


class MetricsController(Controller):
    path = "/metrics"
    tags = ["Health"]

    @get("/", operation_id="GetMetrics", cache=False, media_type=metrics.CONTENT_TYPE)
    async def metrics(self, runtime: Runtime) -> Response[bytes]:
        """Prometheus text format: request latency by route and status, requests in flight, push
        outcomes, push outbox depth and the age of its oldest item, import jobs, pool use."""
        return Response(await metrics.exposition(runtime), media_type=metrics.CONTENT_TYPE)
