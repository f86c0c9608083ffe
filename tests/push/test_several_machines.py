"""Several machines, proven on loopback: two `bff serve` and two `bff worker` processes, each in a
working directory of its own with no disk shared, on one PostgreSQL database, one Redis, the S3
server (moto) and the fake FCM. A document uploaded through one API downloads through the other;
an Excel import uploaded through the second is processed by whichever worker claims it; a
mailing's pushes are each shown once although one worker is killed in the middle of it."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import tempfile
from contextlib import AsyncExitStack
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.crm.test_excel import _xlsx, premise_row
from tests.push.outage_support import own_database, shown_once_each, wait_until  # noqa: F401
from tests.servers import free_port
from tests.web.test_object_storage import BUCKET, s3_endpoint  # noqa: F401

RESIDENTS = 24
ADMIN_TOKEN = secrets.token_urlsafe(32)


class Machine:
    """One `bff` process in a working directory of its own."""

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="machine-"))
        self.log = open(self.dir / "bff.log", "wb")  # noqa: SIM115 - the child writes it
        self.process = subprocess.Popen([str(Path(sys.executable).with_name("bff")), *command], cwd=self.dir,
                                        env={**env, "VAR_DIR": str(self.dir / "var")}, stdout=self.log,
                                        stderr=subprocess.STDOUT)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def _env(database_url: str, redis_url: str, s3: str, fcm_key, fake) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url.replace("+asyncpg", ""), "REDIS_URL": redis_url,
            "APP_ENV": "test", "SMS_PROVIDER": "debug", "TOKEN_SECRET": "s" * 48,
            "PLATFORM_ADMIN_TOKEN": ADMIN_TOKEN, "WORKER_IN_PROCESS": "false",
            "STORAGE_URL": f"s3://{BUCKET}/machines-{secrets.token_hex(4)}", "S3_ENDPOINT_URL": s3,
            "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "test-key", "AWS_SECRET_ACCESS_KEY": "test-secret",
            "FCM_CREDENTIALS": str(fcm_key), "FCM_BASE_URL": fake.base_url, "PUSH_LEASE_SECONDS": "2",
            "PUSH_BATCH_SIZE": "4", "LOG_LEVEL": "WARNING",
            "OTP_PER_IP_HOUR": "0", "OTP_PER_PHONE_HOUR": "0", "LOGIN_PER_PHONE_HOUR": "0", "LOGIN_PER_IP_HOUR": "0"}


async def _ok(response: httpx.Response, status: int = 200) -> dict:
    assert response.status_code == status, (response.request.url, response.status_code, response.text)
    return response.json() if response.content else {}


@pytest.mark.committed
async def test_two_apis_and_two_workers_on_separate_machines_share_files_jobs_and_pushes(
        own_database, base_settings, s3_endpoint, fake_fcm, fcm_key):  # noqa: F811
    """Rule: CRM-DOC-01, IMPORT-08, PUSH-05, PUSH-06"""
    env = _env(own_database, base_settings.redis_url, s3_endpoint, fcm_key, fake_fcm)
    ports = [free_port(), free_port()]
    fake_fcm.received.clear()  # the fake is the session's: nothing another test scripted stays
    fake_fcm.per_token.clear()
    fake_fcm.always.clear()
    fake_fcm.storm_until = None
    fake_fcm.record = True
    fake_fcm.delay = 0.05
    machines: list[Machine] = []
    async with AsyncExitStack() as stack:
        stack.callback(lambda: [m.stop() for m in machines])
        apis = []
        for port in ports:
            machines.append(Machine(["serve", "--host", "127.0.0.1", "--port", str(port)], env))
            apis.append(await stack.enter_async_context(httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}",
                                                                          timeout=30)))
        workers = [Machine(["worker"], env) for _ in range(2)]
        machines.extend(workers)

        async def ready() -> bool:
            try:
                return [(await api.get("/health")).status_code for api in apis] == [200, 200]
            except httpx.TransportError:
                return False

        assert await wait_until(ready, 90), [m.dir for m in machines]
        one, two = apis
        admin = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        partner = (await _ok(await one.post("/crm/v1/partners", headers=admin, json={
            "name": "УК Две машины", "kind": "management", "products": ["requests"]}), 201))["id"]
        role = (await _ok(await two.post(f"/crm/v1/partners/{partner}/roles", headers=admin, json={
            "name": "Все", "permissions": ["premises.edit", "clients.edit", "clients.pii.name", "clients.pii.contacts",
                                           "mailings.send", "reports.clients"]}), 201))["id"]
        await _ok(await one.post(f"/crm/v1/partners/{partner}/staff", headers=admin, json={
            "email": "two@example.com", "password": "correct horse battery", "name": "Ирина", "role_id": role}), 201)
        token = (await _ok(await two.post("/crm/v1/auth/login", json={
            "email": "two@example.com", "password": "correct horse battery"})))["access_token"]
        staff = {"Authorization": f"Bearer {token}"}

        # A document uploaded through API 1 downloads through API 2, whose disk never saw it.
        obj = (await _ok(await one.post("/crm/v1/objects", headers=staff, json={
            "name": "ЖК Облако", "address": "ул. Ленина, 5"}), 201))["id"]
        premise = (await _ok(await one.post("/crm/v1/premises", headers=staff, json={
            "object_id": obj, "type": "apartment", "street": "Ленина", "house": "5", "number": "1"}), 201))["id"]
        pdf = b"%PDF-1.7\n" + os.urandom(300_000)
        document = (await _ok(await one.post(f"/crm/v1/premises/{premise}/documents", headers=staff, data={
            "name": "Акт", "description": "", "date": "2026-01-01"},
            files={"file": ("act.pdf", pdf, "application/pdf")}), 201))["id"]
        downloaded = await two.get(f"/crm/v1/documents/{document}/file", headers=staff)
        assert downloaded.status_code == 200 and downloaded.content == pdf
        assert not any((m.dir / "var" / "files").exists() and any((m.dir / "var" / "files").rglob("*"))
                       for m in machines)

        # An Excel import uploaded through API 2, processed by a worker on another machine.
        response = await two.get("/crm/v1/import/premises/template", headers=staff)
        from io import BytesIO

        from openpyxl import load_workbook
        titles = [c.value for c in load_workbook(BytesIO(response.content)).worksheets[0][1]]
        rows = [premise_row(str(100 + i), obj, f"+7916555{i:04d}") for i in range(30)]
        job = (await _ok(await two.post("/crm/v1/import/premises/file", headers=staff, files={"file": (
            "import.xlsx", _xlsx(titles, rows),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}), 202))["id"]

        async def imported() -> bool:
            return (await _ok(await one.get(f"/crm/v1/import/jobs/{job}", headers=staff)))["status"] in (
                "done", "failed")

        assert await wait_until(imported, 120)
        finished = await _ok(await one.get(f"/crm/v1/import/jobs/{job}", headers=staff))
        assert finished["status"] == "done" and not finished["errors"], finished

        # Residents with devices, logged in through either API; a mailing to all of them while one
        # worker is killed mid-way: every push reaches its phone, shown once.
        phones, clients = [f"+7916777{i:04d}" for i in range(RESIDENTS)], []
        for n, phone in enumerate(phones):
            api = apis[n % 2]
            client = (await _ok(await api.post("/crm/v1/clients", headers=staff, json={
                "type": "individual", "last_name": "Житель", "first_name": "Пётр", "phone": phone}), 201))["id"]
            clients.append(client)
            await _ok(await api.post(f"/crm/v1/premises/{premise}/clients", headers=staff, json={
                "client_id": client, "role": "owner"}), 201)
            code = (await _ok(await api.post("/app/v1/auth/otp", json={"phone": phone})))["debug_code"]
            login = await _ok(await apis[(n + 1) % 2].post("/app/v1/auth/login", json={
                "phone": phone, "code": code, "device": {"app_id": "domiland", "platform": "android"}}))
            await _ok(await api.put("/app/v1/device", headers={"Authorization": f"Bearer {login['access_token']}"},
                                    json={"fcm_token": f"machines-{phone}", "os_notifications_enabled": True}))
        fake_fcm.received.clear()
        mailing = await _ok(await one.post("/crm/v1/mailings", headers=staff, json={
            "channel": "push", "title": "Отключение воды", "body": "Завтра с 10 до 12",
            "filter": {"client_ids": clients}}), 201)
        assert mailing["recipients"] == RESIDENTS

        async def some_sent() -> bool:
            return fake_fcm.accepted_since_clear() >= 2

        assert await wait_until(some_sent, 60)
        workers[0].stop(signal.SIGKILL)
        engine = create_async_engine(own_database)
        try:
            async def all_sent() -> bool:
                async with engine.connect() as conn:
                    rows = (await conn.execute(text(
                        "SELECT count(*) FILTER (WHERE d.status = 'sent'), count(*) FROM push_delivery d "
                        "JOIN push_message m ON m.id = d.message_id WHERE m.title = 'Отключение воды'"))).one()
                return rows[1] == RESIDENTS and rows[0] == RESIDENTS

            assert await wait_until(all_sent, 120)
            assert workers[1].process.poll() is None
            await shown_once_each(engine, fake_fcm, RESIDENTS)
        finally:
            await engine.dispose()
            fake_fcm.delay = 0.0
