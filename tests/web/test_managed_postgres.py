"""The app on a managed PostgreSQL's URL: a server that only speaks TLS (`hostssl` alone in its
pg_hba, a self-signed certificate, password authentication), reached with the options such
providers hand out (`sslmode=require`, `application_name`, `sslrootcert` with `verify-full`). The
migrations, the ORM's engine and the screens' raw read pool all connect through it; with the
statement cache off (what PgBouncer in transaction mode needs) no connection keeps a named
prepared statement, and the app works through a real PgBouncer in transaction mode. The server is
the machine's PostgreSQL binaries (pgserver's build has no TLS) and Debian's pgbouncer, each
started once per test session on a free loopback port."""

from __future__ import annotations

import asyncio
import datetime as dt
import glob
import ipaddress
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx
import msgspec
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from core.infra.migrate import upgrade_async
from core.infra.reads import connect_args
from core.process import open_runtime
from server.app import create_app
from tests.bff.screens.test_statement_count import SCREENS, _world
from tests.support import expect


@dataclass(frozen=True)
class TlsPostgres:
    port: int
    password: str
    certificate: Path

    def url(self, database: str, **options: str) -> str:
        query = "&".join(f"{key}={value}" for key, value in options.items())
        return f"postgresql://app:{self.password}@127.0.0.1:{self.port}/{database}?{query}"


def _server_binaries() -> Path | None:
    """The machine's PostgreSQL server (Debian's layout), built with TLS."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = Path(subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip())
        if (bindir / "postgres").exists():
            return bindir
    return None


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "server.crt", folder / "server.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return cert_path, key_path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
async def tls_postgres() -> AsyncIterator[TlsPostgres]:
    bindir = _server_binaries()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries on this machine (/usr/lib/postgresql/*/bin)")
    # PostgreSQL refuses to run as root: as root, the server runs as the postgres system user.
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="pg-tls-"))
    password = secrets.token_urlsafe(16)
    cert, key = _self_signed(folder)
    (folder / "pwfile").write_text(password)
    if user:
        entry = pwd.getpwnam(user)
        for path in (folder, cert, key, folder / "pwfile"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    data = folder / "data"
    subprocess.run([bindir / "initdb", "-D", data, "-U", "app", f"--pwfile={folder / 'pwfile'}",
                    "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"], check=True, capture_output=True, user=user)
    (data / "pg_hba.conf").write_text("hostssl all all 127.0.0.1/32 scram-sha-256\n")  # TLS or nothing
    port = _free_port()
    server = subprocess.Popen(
        [bindir / "postgres", "-D", data, "-p", str(port), "-c", "listen_addresses=127.0.0.1",
         "-c", "unix_socket_directories=", "-c", "ssl=on", "-c", f"ssl_cert_file={cert}",
         "-c", f"ssl_key_file={key}", "-c", "fsync=off", "-c", "synchronous_commit=off",
         "-c", "full_page_writes=off", "-c", "max_connections=40"],
        stdout=subprocess.DEVNULL, stderr=open(folder / "server.log", "wb"), user=user)
    pg = TlsPostgres(port=port, password=password, certificate=cert)
    try:
        for _ in range(200):  # up to ~20 s on a loaded machine
            try:
                admin = await asyncpg.connect(pg.url("postgres", sslmode="require"), timeout=2)
                break
            except (OSError, asyncpg.exceptions.CannotConnectNowError):
                if server.poll() is not None:
                    raise RuntimeError((folder / "server.log").read_text()) from None
                await asyncio.sleep(0.1)
        else:
            raise RuntimeError("the TLS PostgreSQL did not start: " + (folder / "server.log").read_text())
        for database in ("managed", "bouncer", "pooled"):
            await admin.execute(f'CREATE DATABASE "{database}"')
        await admin.close()
        yield pg
    finally:
        server.send_signal(signal.SIGINT)  # fast shutdown
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pgbouncer(tls_postgres) -> AsyncIterator[int]:
    """PgBouncer in transaction mode in front of the TLS server's `pooled` database, with two
    server connections that its clients' transactions take turns on. Its port."""
    binary = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"
    if not os.path.exists(binary):
        pytest.skip("PgBouncer is not installed (Debian package pgbouncer)")
    user = "postgres" if os.geteuid() == 0 else None  # it refuses to run as root
    folder = Path(tempfile.mkdtemp(prefix="pgbouncer-"))
    port = _free_port()
    (folder / "userlist.txt").write_text(f'"app" "{tls_postgres.password}"\n')
    (folder / "pgbouncer.ini").write_text(textwrap.dedent(f"""
        [databases]
        pooled = host=127.0.0.1 port={tls_postgres.port} dbname=pooled
        [pgbouncer]
        listen_addr = 127.0.0.1
        listen_port = {port}
        unix_socket_dir =
        auth_type = scram-sha-256
        auth_file = {folder / "userlist.txt"}
        pool_mode = transaction
        default_pool_size = 2
        max_client_conn = 50
        server_tls_sslmode = require
        """))
    if user:
        entry = pwd.getpwnam(user)
        for path in (folder, folder / "userlist.txt", folder / "pgbouncer.ini"):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    log = open(folder / "pgbouncer.log", "wb")
    bouncer = subprocess.Popen([binary, str(folder / "pgbouncer.ini")], stdout=log, stderr=log, user=user)
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if bouncer.poll() is not None:
                raise RuntimeError("PgBouncer did not start: " + (folder / "pgbouncer.log").read_text())
            time.sleep(0.1)
        yield port
    finally:
        bouncer.terminate()
        bouncer.wait(timeout=10)
        log.close()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
async def served(base_settings, clock):
    """`serve` as a deployment runs it on a given DATABASE_URL: `bff migrate`, then the app with
    the runtime `open_runtime` makes (ORM engine and raw read pool on that URL)."""
    runtimes = []

    async def serve(url: str, **overrides) -> tuple[httpx.AsyncClient, object]:
        await upgrade_async(url)
        settings = msgspec.structs.replace(base_settings, database_url=url, **overrides)
        runtime = open_runtime(settings, clock=clock, pool_size=2)
        runtimes.append(runtime)
        app = create_app(settings, runtime=runtime)
        app.state.runtime = runtime
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                   base_url="http://testserver")
        runtimes.append(client)
        return client, runtime

    yield serve
    for held in reversed(runtimes):
        await (held.aclose() if isinstance(held, httpx.AsyncClient) else held.close())


async def _screens(http, clock) -> tuple[dict, str]:
    auth, premise = await _world(http, clock, premises=2, orders=2)
    for path in SCREENS:
        expect(await http.get(path.format(premise=premise), headers=auth), 200)
    return auth, premise


async def test_a_tls_only_server_refuses_plain_connections(tls_postgres):
    with pytest.raises(asyncpg.exceptions.InvalidAuthorizationSpecificationError, match="no encryption"):
        await asyncpg.connect(tls_postgres.url("managed", sslmode="disable"), timeout=5)


async def test_the_app_migrates_and_serves_on_a_managed_url_with_sslmode_require(tls_postgres, served, clock):
    """Rule: APP-PREM-01, APP-PROFILE-01 — the screens (raw read pool) and the CRM writes (ORM) on
    `?sslmode=require&application_name=…`, the URL managed PostgreSQL hands out."""
    http, runtime = await served(tls_postgres.url("managed", sslmode="require", application_name="resident-api"))
    expect(await http.get("/health"), 200)
    await _screens(http, clock)
    assert runtime.reads._pool is not None  # the screens went through the raw pool

    probe = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
    assert await runtime.reads.fetchval(probe) is True
    async with runtime.engine.connect() as connection:
        assert (await connection.exec_driver_sql(probe)).scalar() is True
        names = (await connection.exec_driver_sql(
            "SELECT array_agg(DISTINCT application_name) FROM pg_stat_activity WHERE datname = 'managed'")).scalar()
    assert names == ["resident-api"]  # every pool passed the URL's options on, not just TLS


async def test_statement_cache_off_leaves_no_prepared_statement_behind(tls_postgres, served, clock):
    """With `statement_cache_size=0` (for PgBouncer's transaction mode) every statement is sent
    unnamed, by the ORM and by the read pool; `verify-full` with `sslrootcert` checks the server's
    certificate against the given one."""
    http, runtime = await served(tls_postgres.url(
        "bouncer", sslmode="verify-full", sslrootcert=str(tls_postgres.certificate), statement_cache_size="0"))
    await _screens(http, clock)

    named = "SELECT count(*) FROM pg_prepared_statements"
    assert await runtime.reads.fetchval(named) == 0
    async with runtime.engine.connect() as connection:
        assert (await connection.exec_driver_sql(named)).scalar() == 0


def _through_bouncer(pg: TlsPostgres, port: int, **options: str) -> str:
    return pg.url("pooled", **options).replace(f":{pg.port}/", f":{port}/")


async def test_behind_pgbouncer_in_transaction_mode_with_the_statement_cache_off(tls_postgres, pgbouncer, served,
                                                                                 clock):
    """Rule: APP-PREM-01 — through PgBouncer's transaction pooling a cached (named) statement is
    gone when the next transaction lands on another server connection; with
    `statement_cache_size=0` the migrations, the ORM and the read pool all work through it."""
    cached = _through_bouncer(tls_postgres, pgbouncer)
    first, second = [await asyncpg.connect(**connect_args(cached)) for _ in range(2)]
    try:
        busy = first.transaction()
        await busy.start()
        await first.fetchval("SELECT 1")           # holds one server connection
        assert await second.fetchval("SELECT 2") == 2  # prepared and cached on the other one
        await busy.commit()                        # the first is free again, and taken next
        with pytest.raises(asyncpg.exceptions.InvalidSQLStatementNameError):
            await second.fetchval("SELECT 2")      # its cached statement is not on that one
    finally:
        await first.close()
        await second.close()

    http, runtime = await served(_through_bouncer(tls_postgres, pgbouncer, statement_cache_size="0"),
                                 screen_cache_seconds=0)
    auth, premise = await _screens(http, clock)  # sequential: on the server connection used last
    other = await asyncpg.connect(**connect_args(_through_bouncer(tls_postgres, pgbouncer, statement_cache_size="0")))
    try:
        held = other.transaction()
        await held.start()
        await other.fetchval("SELECT 1")  # takes that server connection: the app gets the other one
        for path in SCREENS:
            expect(await http.get(path.format(premise=premise), headers=auth), 200)
        await held.rollback()
    finally:
        await other.close()
    assert runtime.reads._pool is not None
