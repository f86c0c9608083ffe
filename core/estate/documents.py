"""Documents of a premise (CRM-DOC-01): a name, a description, a date and a stored file. Public
ones are shown to the premise's residents in the app."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import PurePath
from typing import BinaryIO

from sqlalchemy.ext.asyncio import AsyncSession

from core.clients.rules import not_in_future
from core.infra.clock import Clock
from core.infra.db import after_commit
from core.errors import InvalidInput, NotFound, TooLarge
from core.estate import repository
from core.models import Document, Premise
from core.infra.pagination import Position
from core.partners.service import PartnerPrincipal
from core.scope import owned
from core.infra.storage import Storage
from core.estate.objects import EstateCode

MAX_SIZE = 20 * 1024 * 1024
# The type of a file is decided by its extension and confirmed by its first bytes; the stored
# content type comes from this table, never from the uploader, so a download is what it claims.
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    "gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    "webp": ("image/webp", (b"RIFF",)),
    "heic": ("image/heic", ()),
    "doc": ("application/msword", (b"\xd0\xcf\x11\xe0",)),
    "xls": ("application/vnd.ms-excel", (b"\xd0\xcf\x11\xe0",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", (b"PK\x03\x04",)),
    "odt": ("application/vnd.oasis.opendocument.text", (b"PK\x03\x04",)),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", (b"PK\x03\x04",)),
    "rtf": ("application/rtf", (b"{\\rtf",)),
    "txt": ("text/plain; charset=utf-8", ()),
}
# Russia spans UTC+2 to UTC+12: a date that is today anywhere in the country is not in the future.
LATEST_OFFSET = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class Upload:
    file_name: str
    stream: BinaryIO  # seekable, positioned at the start


def file_type(upload: Upload) -> tuple[str, int]:
    """The content type and size of an acceptable upload, else InvalidInput / TooLarge."""
    extension = PurePath(upload.file_name).suffix.lower().lstrip(".")
    if extension not in TYPES:
        raise InvalidInput.field("file", "Допустимы PDF, изображения (JPG, PNG, GIF, WEBP, HEIC) и офисные документы "
                                         "(DOC, DOCX, XLS, XLSX, PPTX, ODT, ODS, RTF, TXT)")
    upload.stream.seek(0, 2)
    size = upload.stream.tell()
    upload.stream.seek(0)
    if size > MAX_SIZE:
        raise TooLarge(f"Файл больше {MAX_SIZE // (1024 * 1024)} МБ", code=EstateCode.FILE_TOO_LARGE)
    if size == 0:
        raise InvalidInput.field("file", "Файл пустой")
    content_type, signatures = TYPES[extension]
    head = upload.stream.read(16)
    upload.stream.seek(0)
    if signatures and not any(head.startswith(s) for s in signatures):
        raise InvalidInput.field("file", f"Содержимое файла не похоже на {extension.upper()}")
    return content_type, size


def _check_date(value: date | None, clock: Clock) -> None:
    not_in_future(value, (clock.now() + LATEST_OFFSET).date(), "date")


async def add_document(db: AsyncSession, actor: PartnerPrincipal, clock: Clock, storage: Storage,
                       premise_id: uuid.UUID, *, name: str, description: str | None, date: date | None,
                       is_public: bool, upload: Upload) -> Document:
    await owned(db, actor, Premise, premise_id, not_found="Помещение не найдено")
    _check_date(date, clock)
    content_type, size = file_type(upload)
    document = Document(id=uuid.uuid4(), partner_id=actor.partner_id, premise_id=premise_id, name=name,
                        description=description, date=date, is_public=is_public,
                        file_name=PurePath(upload.file_name).name[-300:], content_type=content_type, size=size,
                        storage_key=f"documents/{actor.partner_id}/{uuid.uuid4()}", created_at=clock.now())
    # The file first: if the database then fails, an orphan file is harmless; a row without its
    # file would not be.
    await storage.put(document.storage_key, upload.stream)
    db.add(document)
    await db.flush()
    return document


async def resident_document(db: AsyncSession, account_id: uuid.UUID, document_id: uuid.UUID) -> Document:
    """A public document of a premise the account is linked to; any other is as unknown as a
    missing one (404), whoever owns it."""
    document = await repository.resident_document(db, account_id, document_id)
    if document is None:
        raise NotFound("Документ не найден")
    return document


async def get_document(db: AsyncSession, actor: PartnerPrincipal, document_id: uuid.UUID) -> Document:
    return await owned(db, actor, Document, document_id, not_found="Документ не найден")


async def update_document(db: AsyncSession, actor: PartnerPrincipal, clock: Clock, document_id: uuid.UUID,
                          changes: dict) -> Document:
    document = await get_document(db, actor, document_id)
    if "date" in changes:
        _check_date(changes["date"], clock)
    if changes.get("name", "") is None:
        raise InvalidInput.field("name", "Поле не может быть пустым")
    for field in ("name", "description", "date", "is_public"):
        if field in changes:
            setattr(document, field, changes[field])
    await db.flush()
    return document


async def delete_document(db: AsyncSession, actor: PartnerPrincipal, storage: Storage, document_id: uuid.UUID) -> None:
    document = await get_document(db, actor, document_id)
    await db.delete(document)
    await db.flush()
    key = document.storage_key

    async def forget_file() -> None:
        await storage.delete(key)

    # The file goes only once the row is gone for good: a rolled-back delete keeps a whole document.
    after_commit(db, forget_file)


async def list_documents(db: AsyncSession, actor: PartnerPrincipal, premise_id: uuid.UUID, *, q: str | None,
                         cursor: Position | None, limit: int) -> tuple[list[Document], Position | None]:
    """Newest upload first. The search looks at the name and the description, never at
    the file name (CRM-DOC-01)."""
    await owned(db, actor, Premise, premise_id, not_found="Помещение не найдено")
    return await repository.documents(db, actor.partner_id, premise_id, q=q, cursor=cursor, limit=limit)
