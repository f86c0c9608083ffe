"""STORAGE_URL=s3://bucket/prefix: files live in S3-compatible object storage that every API and
worker machine shares. The server here is moto's S3 server, started once per test session on a
free loopback port. A document uploaded through one API machine downloads through another whose
own disk never saw it; an import file is read back by the worker's job; photos and exports work
as on disk; big files go up in parts and come down a range at a time; downloads only ever go
through the app (no bucket URL is handed out)."""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import msgspec
import pytest

from core.infra import storage as storage_module
from core.infra.storage import RANGE_SIZE, S3Storage, storage_from
from server.app import create_app
from tests.bff.screens.world import app_login, next_phone
from tests.crm import factories as f
from tests.crm.estate import make_object, partner_with_staff
from tests.crm.test_excel import _run_jobs, _upload
from tests.support import create_partner, expect, staff_headers

BUCKET = "resident-files"
PDF = b"%PDF-1.7\n" + os.urandom(2048)


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server on loopback, in a process of its own, with the bucket made."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.put(f"{endpoint}/{BUCKET}", timeout=2).raise_for_status()
                break
            except httpx.TransportError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("moto's S3 server did not start") from None
                time.sleep(0.1)
        yield endpoint
    finally:
        server.kill()  # it keeps nothing
        server.wait(timeout=10)


def _s3_settings(base_settings, endpoint: str, prefix: str):
    return msgspec.structs.replace(
        base_settings, storage_url=f"s3://{BUCKET}/{prefix}", s3_endpoint_url=endpoint, aws_region="us-east-1",
        aws_access_key_id="test-key", aws_secret_access_key="test-secret",
        var_dir=tempfile.mkdtemp(prefix="machine-"))  # each machine its own disk


async def _machines(base_settings, runtime, make_settings):
    made = []
    for _ in range(2):
        settings = make_settings()
        machine = dataclasses.replace(runtime, settings=settings, extras={"storage": storage_from(settings)})
        app = create_app(settings, runtime=machine)
        app.state.runtime = machine
        made.append((httpx.AsyncClient(transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
                                       base_url="http://testserver"), machine))
    return made


@pytest.fixture
async def machines(base_settings, runtime, s3_endpoint):
    """Two API machines on one S3 storage (each with its own var_dir), sharing the database."""
    prefix = f"t-{os.urandom(4).hex()}"
    made = await _machines(base_settings, runtime, lambda: _s3_settings(base_settings, s3_endpoint, prefix))
    yield made, prefix
    for client, _ in made:
        await client.aclose()


async def test_crm_doc_01_on_local_disks_a_file_of_another_machine_is_404_not_an_empty_200(base_settings, runtime,
                                                                                           db):
    """Rule: CRM-DOC-01 — what STORAGE_URL unset means on several machines: the file is on the
    first machine's disk only; the second says so (it answered 200 with an empty body before)."""
    local = lambda: msgspec.structs.replace(base_settings, var_dir=tempfile.mkdtemp(prefix="machine-"))  # noqa: E731
    (a, _), (b, _) = made = await _machines(base_settings, runtime, local)
    try:
        partner = await create_partner(a)
        premise = await f.premise(db, partner)
        staff = await staff_headers(a, partner)
        created = expect(await a.post(f"/crm/v1/premises/{premise.id}/documents", headers=staff,
                                      data={"name": "План", "description": "БТИ", "date": "2026-11-01"},
                                      files={"file": ("план.pdf", PDF, "application/pdf")}), 201)
        url = f"/crm/v1/documents/{created['id']}/file"
        card = expect(await a.get(f"/crm/v1/premises/{premise.id}/documents", headers=staff), 200)["items"][0]
        assert card["download_url"] == url and (await a.get(url, headers=staff)).content == PDF
        missing = await b.get(url, headers=staff)
        assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    finally:
        for client, _ in made:
            await client.aclose()


def _bucket_keys(endpoint: str, prefix: str) -> list[str]:
    listing = httpx.get(f"{endpoint}/{BUCKET}", params={"list-type": "2", "prefix": prefix}).text
    return [part.split("</Key>")[0] for part in listing.split("<Key>")[1:]]


def _disk_files(machine) -> list[Path]:
    return [p for p in Path(machine.settings.var_dir).rglob("*") if p.is_file()]


async def test_crm_doc_01_a_document_uploaded_on_one_machine_downloads_on_another(machines, db, s3_endpoint):
    """Rule: CRM-DOC-01, APP-PREM-06 — upload on machine A, download on machine B, through the API."""
    ((a, first), (b, second)), prefix = machines
    partner = await create_partner(a)
    premise = await f.premise(db, partner)
    staff = await staff_headers(a, partner)
    created = expect(await a.post(f"/crm/v1/premises/{premise.id}/documents", headers=staff,
                                  data={"name": "План", "description": "БТИ", "date": "2026-11-01"},
                                  files={"file": ("план.pdf", PDF, "application/pdf")}), 201)
    card = expect(await b.get(f"/crm/v1/premises/{premise.id}/documents", headers=staff), 200)["items"][0]
    assert card["id"] == created["id"] and card["download_url"].startswith("/crm/v1/")  # the app, not the bucket
    download = await b.get(card["download_url"], headers=staff)
    assert download.status_code == 200 and download.content == PDF
    assert [key.split("/")[1] for key in _bucket_keys(s3_endpoint, prefix)] == ["documents"]
    assert _disk_files(first) == [] and _disk_files(second) == []

    expect(await b.delete(f"/crm/v1/documents/{created['id']}", headers=staff), 204)
    assert _bucket_keys(s3_endpoint, prefix) == []


async def test_app_data_01_a_photo_lives_in_the_bucket_and_a_missing_one_is_404(machines, s3_endpoint):
    """Rule: APP-DATA-01"""
    ((a, _), (b, _)), prefix = machines
    auth = await app_login(a, next_phone())
    png = b"\x89PNG\r\n\x1a\n" + os.urandom(512)
    screen = expect(await a.put("/app/v1/me/photo", headers=auth, files={"file": ("me.png", png, "image/png")}), 200)
    assert (await b.get(screen["photo_url"], headers=auth)).content == png
    missing = screen["photo_url"].rsplit("/", 1)[0] + "/" + "0" * 32 + ".png"
    assert (await b.get(missing, headers=auth)).status_code == 404


async def test_import_08_a_file_job_reads_its_file_from_the_bucket_and_exports_still_stream(machines, s3_endpoint):
    """Rule: IMPORT-08 — the file stored by the API machine is read by the worker's job from the
    bucket; the export (written per request, never stored) answers on the same machines."""
    ((a, first), (b, second)), prefix = machines
    _, staff = await partner_with_staff(a)
    obj = await make_object(a, staff)
    example = (Path(__file__).parents[1] / "crm" / "data" / "premises-import.xml").read_text()
    job = await _upload(a, staff, "premises", "premises.xml", example.replace("OBJECT_ID", obj).encode())
    assert [key.split("/")[1] for key in _bucket_keys(s3_endpoint, prefix)] == ["imports"]
    await _run_jobs(second)  # the worker: another machine
    done = expect(await b.get(f"/crm/v1/import/jobs/{job['id']}", headers=staff), 200)
    assert (done["status"], done["created"], done["errors_count"]) == ("done", 2, 0)
    exported = await b.get("/crm/v1/export/premises", headers=staff)
    assert exported.status_code == 200 and exported.content[:2] == b"PK"
    assert _disk_files(first) == [] and _disk_files(second) == []


async def test_large_files_go_up_in_parts_and_come_down_a_range_at_a_time(base_settings, s3_endpoint, tmp_path,
                                                                           monkeypatch):
    """A 12 MiB file: a multipart upload of 5 MiB parts (S3's ETag of a multipart object ends in
    -<parts>), read back in ranges of RANGE_SIZE, streamed in chunks never larger than CHUNK."""
    store = storage_from(_s3_settings(base_settings, s3_endpoint, f"big-{os.urandom(4).hex()}"))
    assert isinstance(store, S3Storage)
    big = tmp_path / "big.bin"
    with big.open("wb") as out:
        for _ in range(12):
            out.write(os.urandom(1024 * 1024))
    with big.open("rb") as source:
        await store.put("exports/big.bin", source)
    import obstore

    head = await obstore.head_async(store._store, "exports/big.bin")
    assert head["size"] == 12 * 1024 * 1024 and head["e_tag"].strip('"').endswith("-3")

    ranges = []
    real_get = obstore.get_async

    async def counting_get(store_, key, *, options=None):
        ranges.append(options["range"])
        return await real_get(store_, key, options=options)

    monkeypatch.setattr(obstore, "get_async", counting_get)
    digest, sizes = hashlib.sha256(), []
    async for chunk in store.open("exports/big.bin"):
        digest.update(chunk)
        sizes.append(len(chunk))
    assert digest.hexdigest() == hashlib.sha256(big.read_bytes()).hexdigest()
    assert max(sizes) <= storage_module.CHUNK * 2 and len(sizes) >= 12
    assert ranges == [(n, min(n + RANGE_SIZE, head["size"])) for n in range(0, head["size"], RANGE_SIZE)]

    with pytest.raises(FileNotFoundError):
        await anext(store.open("exports/missing.bin"))
    await store.delete("exports/big.bin")
    await store.delete("exports/big.bin")  # a missing key is no error
