"""Documents of a premise (CRM-DOC-01): upload, search, download, edit, delete."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from core.estate.documents import MAX_SIZE
from core.models import Document
from tests.crm import factories as f
from tests.support import api_key_headers, create_partner, expect, staff_headers

PDF = b"%PDF-1.7\n" + b"0" * 100


async def _world(http, db, permissions=None):
    partner = await create_partner(http)
    premise = await f.premise(db, partner)
    return partner, premise, await staff_headers(http, partner, permissions)


async def _upload(http, premise, headers, *, name="План квартиры", description="Поэтажный план БТИ",
                  date="2026-11-01", file_name="план.pdf", content=PDF, content_type="application/pdf", **fields):
    data = {"name": name, "description": description, **fields}
    if date is not None:
        data["date"] = date
    return await http.post(f"/crm/v1/premises/{premise.id}/documents", headers=headers, data=data,
                           files={"file": (file_name, content, content_type)})


async def _count(db) -> int:
    return await db.scalar(select(func.count()).select_from(Document))


async def test_crm_doc_01_upload_list_and_download(http, db):
    """Rule: CRM-DOC-01 — a document is uploaded with name, description and date, and downloaded
    with its original type and name."""
    _, premise, staff = await _world(http, db)
    created = expect(await _upload(http, premise, staff), 201)
    listed = expect(await http.get(f"/crm/v1/premises/{premise.id}/documents", headers=staff), 200)
    card = listed["items"][0]
    assert card["id"] == created["id"] and card["name"] == "План квартиры" and card["date"] == "2026-11-01"
    assert card["is_public"] is True and card["file_name"] == "план.pdf" and card["size"] == len(PDF)
    download = await http.get(card["download_url"], headers=staff)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"].startswith("application/pdf")
    disposition = download.headers["content-disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''%D0%BF%D0%BB%D0%B0%D0%BD.pdf" in disposition


async def test_crm_doc_01_search_by_name_and_description_not_file_name(http, db):
    """Rule: CRM-DOC-01 — search by name and description, never by the file name."""
    _, premise, staff = await _world(http, db)
    expect(await _upload(http, premise, staff, name="Акт приёмки", description="Подписан застройщиком",
                         file_name="секретный_файл.pdf"), 201)
    expect(await _upload(http, premise, staff, name="Правила", description="Правила проживания в ЖК"), 201)
    base = f"/crm/v1/premises/{premise.id}/documents"

    async def names(q: str) -> list[str]:
        return [d["name"] for d in expect(await http.get(base, params={"q": q}, headers=staff), 200)["items"]]

    assert await names("АКТ") == ["Акт приёмки"]
    assert await names("застройщик") == ["Акт приёмки"]
    assert await names("проживания") == ["Правила"]
    assert await names("секретный") == []
    assert await names("%") == []


async def test_crm_val_01_document_date_not_in_the_future(http, db):
    """Rule: CRM-VAL-01 — dates of documents are not in the future (the clock is 2026-11-24)."""
    _, premise, staff = await _world(http, db)
    bad = await _upload(http, premise, staff, date="2026-11-26")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "date"
    expect(await _upload(http, premise, staff, date="2026-11-24"), 201)
    created = expect(await _upload(http, premise, staff, date=None), 201)
    bad = await http.patch(f"/crm/v1/documents/{created['id']}", headers=staff, json={"date": "2027-01-01"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "date"
    assert await _count(db) == 2


async def test_document_types_and_size_are_limited(http, db):
    _, premise, staff = await _world(http, db)
    bad = await _upload(http, premise, staff, file_name="virus.exe", content=b"MZ\x90\x00")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "file"
    bad = await _upload(http, premise, staff, file_name="fake.pdf", content=b"MZ\x90\x00")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "file"
    bad = await _upload(http, premise, staff, file_name="empty.pdf", content=b"")
    assert bad.status_code == 400
    big = await _upload(http, premise, staff, content=b"%PDF-" + b"0" * (MAX_SIZE - 4))
    assert big.status_code == 413 and big.json()["code"] == "file_too_large"
    assert await _count(db) == 0
    for file_name, content in (("photo.JPG", b"\xff\xd8\xff\xe0data"), ("table.xlsx", b"PK\x03\x04data"),
                               ("scan.png", b"\x89PNG\r\n\x1a\ndata")):
        expect(await _upload(http, premise, staff, file_name=file_name, content=content), 201)


async def test_document_edit_and_delete_removes_the_file(http, db, runtime):
    _, premise, staff = await _world(http, db)
    created = expect(await _upload(http, premise, staff, is_public="false"), 201)
    document = await db.get(Document, f.uid(created["id"]))
    assert document.is_public is False
    stored = Path(runtime.settings.var_dir) / "files" / document.storage_key
    assert stored.read_bytes() == PDF
    card = expect(await http.patch(f"/crm/v1/documents/{created['id']}", headers=staff,
                                   json={"name": "План (новый)", "is_public": True}), 200)
    assert card["name"] == "План (новый)" and card["is_public"] is True and card["description"] == "Поэтажный план БТИ"
    expect(await http.delete(f"/crm/v1/documents/{created['id']}", headers=staff), 204)
    assert (await http.get(f"/crm/v1/documents/{created['id']}/file", headers=staff)).status_code == 404
    assert not stored.exists()


async def test_document_writes_need_premises_edit(http, db):
    partner, premise, reader = await _world(http, db, permissions=[])
    bad = await _upload(http, premise, reader)
    assert bad.status_code == 403 and bad.json()["code"] == "permission_required"
    created = expect(await _upload(http, premise, await api_key_headers(http, partner)), 201)
    assert (await http.delete(f"/crm/v1/documents/{created['id']}", headers=reader)).status_code == 403
    assert (await http.get(f"/crm/v1/documents/{created['id']}/file", headers=reader)).status_code == 200
    assert await _count(db) == 1


async def test_staff_04_documents_of_another_partner_are_not_found(http, db):
    """Rule: STAFF-04 — another partner's premise and documents answer 404 and stay untouched."""
    _, premise, owner = await _world(http, db)
    created = expect(await _upload(http, premise, owner), 201)
    _, _, stranger = await _world(http, db)
    assert (await _upload(http, premise, stranger)).status_code == 404
    assert (await http.get(f"/crm/v1/premises/{premise.id}/documents", headers=stranger)).status_code == 404
    for method, path in (("GET", f"/crm/v1/documents/{created['id']}"),
                         ("GET", f"/crm/v1/documents/{created['id']}/file"),
                         ("PATCH", f"/crm/v1/documents/{created['id']}"),
                         ("DELETE", f"/crm/v1/documents/{created['id']}"),
                         ("GET", "/crm/v1/documents/garbage/file")):
        answer = await http.request(method, path, headers=stranger, json={"name": "X"} if method == "PATCH" else None)
        assert answer.status_code == 404, (method, path)
    assert await db.scalar(select(Document.name).where(Document.id == f.uid(created["id"]))) == "План квартиры"
