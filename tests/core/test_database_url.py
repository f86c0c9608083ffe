"""DATABASE_URL's one parser (core/infra/database_url.py): what each pool's `asyncpg.connect` gets from
the URLs managed PostgreSQL, PgBouncer and the embedded server use."""

from __future__ import annotations

import pytest

from core.infra.database_url import connect_options, with_database
from core.infra.reads import connect_args

pytestmark = pytest.mark.no_db


@pytest.mark.parametrize("url, dsn", [
    # libpq's options stay in the DSN, where asyncpg reads them (TLS, the session's target,
    # application_name as a server setting)
    ("postgresql://app:p%40ss@db.example.com:6432/app?sslmode=require&sslrootcert=/etc/ca.pem&application_name=api",
     "postgresql://app:p%40ss@db.example.com:6432/app?sslmode=require&sslrootcert=/etc/ca.pem&application_name=api"),
    ("postgres://app@h1:5432,h2:5433/app?target_session_attrs=read-write",
     "postgresql://app@h1:5432,h2:5433/app?target_session_attrs=read-write"),
    # SQLAlchemy's spelling of several hosts becomes asyncpg's list
    ("postgresql+asyncpg://app@/app?host=h1:5432&host=h2:5432", "postgresql://app@/app?host=h1:5432,h2:5432"),
    # the embedded server's unix socket folder
    ("postgresql+asyncpg://postgres@/resident?host=/srv/var/pg", "postgresql://postgres@/resident?host=/srv/var/pg"),
    # libpq-only options asyncpg would send the server as settings (which refuses them)
    ("postgresql://app@db/app?sslmode=require&channel_binding=prefer&keepalives=1&keepalives_idle=30",
     "postgresql://app@db/app?sslmode=require"),
])
def test_the_url_reaches_asyncpg_with_its_options(url, dsn):
    options = connect_options(url)
    assert options.dsn == dsn
    assert connect_args(url) == {"dsn": dsn}  # the read pool's and the benchmarks' arguments


def test_statement_cache_option_turns_off_both_caches():
    """PgBouncer (transaction mode): `statement_cache_size=0` or SQLAlchemy's
    `prepared_statement_cache_size=0` sizes asyncpg's cache and SQLAlchemy's adapter's alike."""
    for option in ("statement_cache_size", "prepared_statement_cache_size"):
        options = connect_options(f"postgresql://app@pgbouncer:6432/app?{option}=0&sslmode=require")
        assert options.dsn == "postgresql://app@pgbouncer:6432/app?sslmode=require"
        assert options.asyncpg_args()["statement_cache_size"] == 0
        assert options.sqlalchemy_args()["prepared_statement_cache_size"] == 0
    assert "statement_cache_size" not in connect_options("postgresql://app@db/app").sqlalchemy_args()


def test_connect_timeout_is_the_connect_timeout():
    assert connect_options("postgresql://app@db/app?connect_timeout=10").asyncpg_args(timeout=5)["timeout"] == 10
    assert connect_options("postgresql://app@db/app").asyncpg_args(timeout=5)["timeout"] == 5


@pytest.mark.parametrize("url, complaint", [
    ("mysql://app@db/app", "postgresql://"),
    ("postgresql://app@db/app?channel_binding=require", "channel_binding"),
    ("postgresql://app@db/app?statement_cache_size=none", "statement_cache_size"),
    ("postgresql://app@db/app?statement_cache_size=-1", "statement_cache_size"),
])
def test_what_cannot_be_honoured_is_refused(url, complaint):
    with pytest.raises(ValueError, match=complaint):
        connect_options(url)


def test_with_database_keeps_server_credentials_and_options():
    url = "postgresql://app:secret@h1:5432,h2:5432/app?sslmode=require&target_session_attrs=read-write"
    assert with_database(url, "postgres") == (
        "postgresql://app:secret@h1:5432,h2:5432/postgres?sslmode=require&target_session_attrs=read-write")
    assert connect_options(with_database(url, "test_gw0")).database == "test_gw0"
