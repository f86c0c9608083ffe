"""The app on a managed PostgreSQL's URL: a server that only speaks TLS (`hostssl` alone in its
pg_hba, a self-signed certificate, password authentication), reached with the options such
providers hand out (`sslmode=require`, `application_name`, `sslrootcert` with `verify-full`). The
migrations, the ORM's engine and the screens' raw read pool all connect through it; with the
statement cache off (what PgBouncer in transaction mode needs) no connection keeps a named
prepared statement. The server is the machine's PostgreSQL binaries (pgserver's build has no
TLS), started once per test session on a free loopback port."""

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

from core.migrate import upgrade_async
from core.runtime import open_runtime
from tests.bff.screens.test_statement_count import SCREENS, _world
from tests.support import expect
from web.app import create_app


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
        for database in ("managed", "bouncer"):
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


@pytest.fixture
async def served(base_settings, clock):
    """`serve` as a deployment runs it on a given DATABASE_URL: `bff migrate`, then the app with
    the runtime `open_runtime` makes (ORM engine and raw read pool on that URL)."""
    runtimes = []

    async def serve(url: str) -> tuple[httpx.AsyncClient, object]:
        await upgrade_async(url)
        settings = msgspec.structs.replace(base_settings, database_url=url)
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


async def _screens(http, clock) -> None:
    auth, premise = await _world(http, clock, premises=2, orders=2)
    for path in SCREENS:
        expect(await http.get(path.format(premise=premise), headers=auth), 200)


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
