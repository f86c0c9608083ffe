"""One worker runs push delivery, file imports, SMS mailings and housekeeping in lanes of their
own: a big import and an SMS mailing to a gateway that hangs never hold a push back."""

from __future__ import annotations

import asyncio
import io
import uuid

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from core.imports import jobs
from core.imports.formats import CLIENT_COLUMNS
from core.models import Account, ImportJob
from core.notifications import outbox
from push import worker as worker_module
from push.worker import PeriodicJob, run_worker
from tests.push.conftest import new_phone, use_sms_gateway

ROWS = 50_000


def _clients_file(rows: int) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Клиенты")
    sheet.append([c.title for c in CLIENT_COLUMNS])
    keys = [c.key for c in CLIENT_COLUMNS]
    for i in range(rows):
        values = {"external_id": f"LANE-{i}", "phone": f"+7993{i:07d}", "last_name": "Файлова", "first_name": "Ольга"}
        sheet.append([values.get(k) for k in keys])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class Observed:
    """The fake-FCM transport, telling the test when a batch with its token came back."""

    def __init__(self, inner, token: str):
        self.inner, self.token = inner, token
        self.name = inner.name
        self.pushed = asyncio.Event()

    async def send(self, batch):
        results = await self.inner.send(batch)
        if any(push.token == self.token for push in batch):
            self.pushed.set()
        return results

    async def close(self):
        pass


@pytest.mark.committed
async def test_push_05_pushes_leave_while_an_import_and_a_dead_sms_gateway_are_at_work(
        world, db, http, runtime, fcm, fake_sms_gateway, monkeypatch):
    """Rule: PUSH-05, PUSH-06, IMPORT-08 — a worker importing a 50,000-row file and sending an
    SMS mailing to a gateway that does not answer still fans a push out and gets it to FCM
    while the import job is `running` and the SMS is still held; on stop the import goes back
    to the queue."""
    phone = new_phone()
    await world.client(phone)
    await world.device(await world.resident(phone), fcm_token="tok-lanes", os_notifications_enabled=True)
    account_id = await db.scalar(select(Account.id).where(Account.phone == phone))
    transport = Observed(fcm.transport, "tok-lanes")
    monkeypatch.setitem(runtime.extras, "push_config", fcm.config)
    monkeypatch.setitem(runtime.extras, "push_transport", transport)

    content = await asyncio.to_thread(_clients_file, ROWS)
    upload = await http.post("/crm/v1/import/clients/file", headers=world.staff,
                             files={"file": ("clients.xlsx", content, "application/octet-stream")})
    assert upload.status_code == 202, upload.text
    job_id = uuid.UUID(upload.json()["id"])
    importing = asyncio.Event()
    run_chunk = jobs._run_chunk

    async def observed_chunk(*args, **kwargs):
        await run_chunk(*args, **kwargs)
        importing.set()

    monkeypatch.setattr(jobs, "_run_chunk", observed_chunk)
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker(runtime, stop=stop, tick=0.05))
    gateway = use_sms_gateway(runtime, fake_sms_gateway, monkeypatch, "hang")
    try:
        await asyncio.wait_for(importing.wait(), timeout=120)
        recipient = await world.client(new_phone())
        mailing = await http.post("/crm/v1/mailings", headers=world.staff, json={
            "channel": "sms", "title": "СМС", "body": "Собрание", "filter": {"client_ids": [str(recipient.id)]}})
        assert mailing.status_code == 201, mailing.text
        assert await asyncio.to_thread(gateway.arrived.wait, 60)

        await outbox.enqueue_push(db, account_id=account_id, type="bills", title="Счёт", body="Новый счёт",
                               partner_id=world.partner_id)
        await db.commit()
        await asyncio.wait_for(transport.pushed.wait(), timeout=60)
        job = await db.scalar(select(ImportJob).where(ImportJob.id == job_id)
                              .execution_options(populate_existing=True))
        assert job.status == "running" and 0 < job.processed < ROWS
        assert [r.answered for r in gateway.received] == ["holding"]
    finally:
        stop.set()
        gateway.release.set()
        await asyncio.wait_for(worker, timeout=60)
    job = await db.scalar(select(ImportJob).where(ImportJob.id == job_id).execution_options(populate_existing=True))
    assert (job.status, job.claim_token, job.attempts) == ("pending", None, 0)


async def test_push_05_housekeeping_never_waits_for_an_import(runtime, monkeypatch):
    """Rule: PUSH-05, PEOPLE-ADD-06 — the lanes are independent: a housekeeping job (rent
    reminders, token purge) runs while an import is still at work (here the import only ends
    once housekeeping has run; one loop of jobs one after another would wait for ever)."""
    housekeeping_ran = asyncio.Event()
    import_ended = asyncio.Event()

    async def long_import(rt, db):
        await asyncio.wait_for(housekeeping_ran.wait(), timeout=30)
        import_ended.set()

    async def housekeeping(rt, db):
        assert not import_ended.is_set()
        housekeeping_ran.set()

    monkeypatch.setattr(worker_module, "registered_jobs", lambda: [
        PeriodicJob("imports.run", 3600, long_import, lane="imports"),
        PeriodicJob("people.rent_reminders", 3600, housekeeping)])
    stop = asyncio.Event()
    running = asyncio.create_task(run_worker(runtime, stop=stop, tick=0.01, push=False))
    try:
        await asyncio.wait_for(import_ended.wait(), timeout=60)
    finally:
        stop.set()
        await asyncio.wait_for(running, timeout=30)
