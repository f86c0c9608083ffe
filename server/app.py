"""The application factory: every surface's routes on one Litestar app, with its lifespan, middleware
and OpenAPI document."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme

from core.infra.runtime import Runtime
from core.process import open_runtime
from core.infra.settings import Settings
from server.routes import route_handlers
from web.deps import COMMON, commit_request_session, session_middleware
from web.forwarded import forwarded_client_middleware
from web.metrics import metrics_middleware
from web.openapi import (
    add_examples,
    add_schemas,
    declare_problems,
    type_batch_items,
    unique_titles,
)
from web.problems import DECLARED, EXCEPTION_HANDLERS, add_request_id_header

log = logging.getLogger(__name__)
WORKER_STOP_SECONDS = 15.0


def _bearer(description: str) -> SecurityScheme:
    return SecurityScheme(type="http", scheme="bearer", description=description)


def openapi_config() -> OpenAPIConfig:

    return OpenAPIConfig(
        title="Resident app backend",
        version="1.0.0",
        description="The residents' app BFF, the partners' CRM and integration API, and the push service.",
        path="/schema",
        use_handler_docstrings=True,
        render_plugins=[ScalarRenderPlugin()],
        components=Components(security_schemes={
            "ResidentBearer": _bearer("Resident access token from /app/v1/auth/login"),
            "StaffBearer": _bearer("Staff token from /crm/v1/auth/login"),
            "ApiKeyBearer": _bearer("Partner API key for integrations"),
            "AdminBearer": _bearer("PLATFORM_ADMIN_TOKEN from the environment"),
        }),
    )


def compression_config() -> CompressionConfig:
    """gzip for JSON answers of 1 KB and more when the caller accepts it (a large screen goes to
    the phone a fifth of its size), at a level that costs little CPU; files (documents, photos,
    Excel, which are compressed already or streamed) go as they are."""
    return CompressionConfig(backend="gzip", minimum_size=1024, gzip_compress_level=5,
                             exclude=[r"/file$", r"/photos/", r"/export/", r"/template", r"^/schema"])


def console_template_config():
    from console.controller import template_config

    return template_config()


def create_app(settings: Settings, *, runtime: Runtime | None = None) -> Litestar:
    """`runtime` is given by tests (their own clock and database scope); otherwise the app opens
    its clients at start-up and closes them at shutdown."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        owned = runtime is None
        rt = runtime or open_runtime(settings)
        app.state.runtime = rt
        if owned:
            # What start-up loaded (modules, routes, the OpenAPI schema) lives as long as the
            # process: out of the collector's generations, full collections scan request garbage only.
            gc.freeze()
        background: asyncio.Task | None = None
        stop = asyncio.Event()
        if owned and settings.runs_worker_in_process:
            from push.worker import run_worker

            background = asyncio.create_task(run_worker(rt, stop=stop), name="in-process worker")
            log.info("background jobs run inside this server process (APP_ENV=%s)", settings.environment)
        try:
            yield
        finally:
            if background is not None:
                # As `bff worker` on SIGTERM: the batch being sent is finished and written, the
                # work claimed ahead goes back to the queue; cancelled only if that hangs.
                stop.set()
                try:
                    await asyncio.wait_for(background, timeout=WORKER_STOP_SECONDS)
                except (TimeoutError, asyncio.CancelledError):
                    pass
                except Exception:  # noqa: BLE001 - shutting down: say it, do not raise
                    log.exception("the in-process worker failed while stopping")
            if owned:
                await rt.close()

    app = Litestar(
        route_handlers=route_handlers(),
        dependencies=COMMON,
        exception_handlers=EXCEPTION_HANDLERS,
        before_send=[add_request_id_header],
        middleware=[metrics_middleware, forwarded_client_middleware, session_middleware],
        after_request=commit_request_session,
        lifespan=[lifespan],
        openapi_config=openapi_config(),
        compression_config=compression_config(),
        template_config=console_template_config(),
        request_max_body_size=settings.max_body_size,
        debug=False,
    )
    _document_messages(app)
    # Tests hold every problem answer to the codes its operation declares (web/problems.py).
    app.state[DECLARED] = settings.app_env == "test"
    return app


def _document_messages(app: Litestar) -> None:
    """What the generated document lacks: the push payload, the typed items of import batches, and
    each operation's problem codes."""
    from core.imports.service import ClientItem, PremiseItem
    from core.notifications.payload import PushPayload
    from crm.feeds.schemas import MAX_BILLS, BillItem, UpsertBillRequest
    from crm.imports.controller import MAX_BATCH
    from server.examples import EXAMPLES, as_json

    add_schemas(app, PushPayload)
    clients, premises = add_schemas(app, ClientItem, PremiseItem, prefix="Import")
    type_batch_items(app, "/crm/v1/import/clients", clients, max_items=MAX_BATCH)
    type_batch_items(app, "/crm/v1/import/premises", premises, max_items=MAX_BATCH)
    bill, bill_item = add_schemas(app, UpsertBillRequest, BillItem, prefix="Feed")
    type_batch_items(app, "/crm/v1/bills", bill_item, max_items=MAX_BILLS, single=bill)
    declare_problems(app)
    unique_titles(app)
    add_examples(app, EXAMPLES, as_json)
