"""The `bff` command: serve, worker, migrate, demo-data."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from core.errors import ConfigurationError
from core.infra.settings import Settings, load_settings
from web.logs import configure_logging

DESCRIPTION = """Resident app backend.

Configuration comes from the environment: DATABASE_URL and REDIS_URL (unset: embedded
PostgreSQL and Redis under ./var/), STORAGE_URL (unset: ./var/files), PLATFORM_ADMIN_TOKEN,
SMS_PROVIDER, FCM_CREDENTIALS, APP_ENV, TOKEN_SECRET, WORKER_METRICS_PORT. See the README."""


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        print(f"bff: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _logging(settings: Settings) -> None:
    # Every log record, uvicorn's access lines included, is redacted of personal data and secrets.
    configure_logging(settings.log_level, settings.log_format)


def cmd_migrate(args: argparse.Namespace) -> int:
    from core.infra.migrate import upgrade
    from core.infra.runtime import database_url_of

    settings = _settings()
    _logging(settings)
    upgrade(database_url_of(settings))
    print("database schema is up to date")
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from core.demo import load_demo_data
    from core.process import open_runtime

    settings = _settings()
    _logging(settings)

    async def main() -> str:
        rt = open_runtime(settings)
        try:
            return await load_demo_data(rt)
        finally:
            await rt.close()

    print(asyncio.run(main()))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app

    settings = _settings()
    _logging(settings)
    app = create_app(settings)
    print(f"serving on http://{args.host}:{args.port} — API docs at http://{args.host}:{args.port}/schema")
    # With JSON logs uvicorn's own lines go through the root handler too (log_config=None).
    json_logs = {"log_config": None} if settings.log_format == "json" else {}
    # X-Forwarded-For is read by the app itself, from TRUSTED_PROXIES only (web/forwarded.py).
    uvicorn.run(app, host=args.host, port=args.port, log_level=settings.log_level.lower(), lifespan="on",
                proxy_headers=False, timeout_graceful_shutdown=20, **json_logs)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from core.process import open_runtime
    from push.worker import run_worker

    settings = _settings()
    _logging(settings)

    async def main() -> None:
        rt = open_runtime(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            await run_worker(rt, stop=stop, metrics_port=settings.worker_metrics_port)
        finally:
            await rt.close()

    asyncio.run(main())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bff", description=DESCRIPTION,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="serve the whole HTTP API (apps, CRM, integrations); outside "
                                         "production it also runs the worker's jobs in-process")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="run push delivery and scheduled jobs until SIGTERM; run as many as "
                                  "you like").set_defaults(func=cmd_worker)
    sub.add_parser("migrate", help="bring the database schema up to date (idempotent)").set_defaults(func=cmd_migrate)
    sub.add_parser("demo-data", help="load demo partners, premises, clients and a demo resident "
                                     "(idempotent)").set_defaults(func=cmd_demo_data)
    return parser


def _exit_on_sigterm(signum: int, frame) -> None:  # noqa: ARG001
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    # SIGTERM (what process managers send) ends the process through SystemExit, as Ctrl-C does
    # through KeyboardInterrupt, so what runs at exit runs: the embedded servers' last user stops
    # them (core/infra/embedded.py). uvicorn and the worker handle the signal themselves while they run
    # and hand it back to this handler once they have shut down.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 128 + signal.SIGINT


if __name__ == "__main__":
    raise SystemExit(main())
