"""The `bff` command: serve, worker, migrate, demo-data."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from core.errors import ConfigurationError
from core.settings import Settings, load_settings
from web.logs import configure_logging

DESCRIPTION = """Resident app backend.

Configuration comes from the environment: DATABASE_URL and REDIS_URL (unset: embedded
PostgreSQL and Redis under ./var/), PLATFORM_ADMIN_TOKEN, SMS_PROVIDER, FCM_CREDENTIALS,
APP_ENV, TOKEN_SECRET. See the README."""


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigurationError as exc:
        print(f"bff: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


def _logging(settings: Settings) -> None:
    # Every log record, uvicorn's access lines included, is redacted of personal data and secrets.
    configure_logging(settings.log_level)


def cmd_migrate(args: argparse.Namespace) -> int:
    from core.migrate import upgrade
    from core.runtime import database_url_of

    settings = _settings()
    _logging(settings)
    upgrade(database_url_of(settings))
    print("database schema is up to date")
    return 0


def cmd_demo_data(args: argparse.Namespace) -> int:
    from core.demo import load_demo_data
    from core.runtime import open_runtime

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

    from web.app import create_app

    settings = _settings()
    _logging(settings)
    app = create_app(settings)
    print(f"serving on http://{args.host}:{args.port} — API docs at http://{args.host}:{args.port}/schema")
    # X-Forwarded-For is read by the app itself, from TRUSTED_PROXIES only (web/forwarded.py).
    uvicorn.run(app, host=args.host, port=args.port, log_level=settings.log_level.lower(), lifespan="on",
                proxy_headers=False, timeout_graceful_shutdown=20)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    from core.runtime import open_runtime
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
            await run_worker(rt, stop=stop)
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
