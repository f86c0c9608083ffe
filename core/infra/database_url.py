"""DATABASE_URL, libpq's spelling, parsed once into the arguments of `asyncpg.connect` for every pool of
the process (README: PostgreSQL behind PgBouncer)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

_SCHEMES = {"postgresql", "postgres", "postgresql+asyncpg", "postgresql+psycopg", "postgresql+psycopg2"}
_CACHE_OPTIONS = ("statement_cache_size", "prepared_statement_cache_size")
_DROPPED = {"keepalives", "keepalives_idle", "keepalives_interval", "keepalives_count", "tcp_user_timeout"}


@dataclass(frozen=True, slots=True)
class ConnectOptions:
    # A libpq-style URL holding only what asyncpg reads from a DSN (its unknown options become
    # server settings, e.g. application_name).
    dsn: str
    database: str | None
    # Prepared statements per connection; None: the drivers' defaults (asyncpg 100, SQLAlchemy 100).
    statement_cache_size: int | None = None
    connect_timeout: float | None = None

    def asyncpg_args(self, **defaults: object) -> dict:
        """Keyword arguments of `asyncpg.connect` / `asyncpg.create_pool`; `defaults` (e.g.
        `timeout`, `command_timeout`) give way to what the URL says."""
        args = {**defaults, "dsn": self.dsn}
        if self.connect_timeout is not None:
            args["timeout"] = self.connect_timeout
        if self.statement_cache_size is not None:
            args["statement_cache_size"] = self.statement_cache_size
        return args

    def sqlalchemy_args(self, **defaults: object) -> dict:
        """`connect_args` of an asyncpg SQLAlchemy engine whose URL is the bare
        `postgresql+asyncpg://`: the same connection as asyncpg_args, and SQLAlchemy's own cache
        of prepared statements sized alike."""
        args = self.asyncpg_args(**defaults)
        if self.statement_cache_size is not None:
            args["prepared_statement_cache_size"] = self.statement_cache_size
        return args


def connect_options(url: str) -> ConnectOptions:
    """Parse DATABASE_URL; ValueError names what is wrong with it (never its password)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in _SCHEMES:
        raise ValueError(f"DATABASE_URL must start with postgresql:// (not {parts.scheme or 'nothing'}://)")
    kept: list[tuple[str, str]] = []
    hosts: list[str] = []
    statement_cache: int | None = None
    connect_timeout: float | None = None
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in _CACHE_OPTIONS:
            statement_cache = _number(key, value, int)
            if statement_cache < 0:
                raise ValueError(f"DATABASE_URL option {key} must be 0 or more")
        elif key == "connect_timeout":
            seconds = _number(key, value, float)
            connect_timeout = seconds if seconds > 0 else None  # libpq: 0 waits for ever
        elif key == "channel_binding":
            if value == "require":
                raise ValueError("DATABASE_URL asks for channel_binding=require, which the asyncpg driver "
                                 "cannot do; drop the option (TLS with sslmode=verify-full protects the same)")
        elif key == "gssencmode":
            if value == "require":
                raise ValueError("DATABASE_URL asks for gssencmode=require, which the asyncpg driver cannot do")
        elif key in _DROPPED:
            continue
        elif key == "host":
            hosts.append(value)  # SQLAlchemy's spelling of several hosts repeats host=
        else:
            kept.append((key, value))
    if hosts:
        # asyncpg reads one host option, a comma-separated list ("h1:5432,h2:5432" or a socket folder)
        kept.insert(0, ("host", ",".join(hosts)))
    database = unquote(parts.path.lstrip("/")) or None
    dsn = urlunsplit(("postgresql", parts.netloc, parts.path, urlencode(kept, quote_via=quote, safe="/,:"), ""))
    return ConnectOptions(dsn=dsn, database=database, statement_cache_size=statement_cache,
                          connect_timeout=connect_timeout)


def with_database(url: str, database: str) -> str:
    """The same URL (server, credentials, options) naming another database: a test's or a tool's
    own database, or `postgres` to create and drop one."""
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(database), parts.query, parts.fragment))


def _number(key: str, value: str, kind: type):
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"DATABASE_URL option {key} must be a number") from None
