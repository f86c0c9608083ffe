"""Documents of a premise (CRM-DOC-01): upload, search, download, edit, delete."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from core.estate import documents as service
from core.models import Document
from core.partners.service import PartnerPrincipal
from core.infra.runtime import Runtime
from core.infra.storage import Storage
from crm.documents.schemas import DocumentCard, DocumentList, UpdateDocumentRequest, UploadDocumentRequest
from web.deps import PARTNER, PARTNER_SECURITY, Pages
from web.files import FILE_RESPONSE, STORAGE, download
from web.ids import path_id
from core.errors import Common
from core.estate.objects import EstateCode
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Created, Cursor, Limit, changes_of

EDIT = {"permission": "premises.edit"}
Multipart = Annotated[UploadDocumentRequest, Body(media_type=RequestEncodingType.MULTI_PART)]


def document_card(document: Document) -> DocumentCard:
    return DocumentCard(id=str(document.id), premise_id=str(document.premise_id), name=document.name,
                        description=document.description, date=document.date, is_public=document.is_public,
                        file_name=document.file_name, content_type=document.content_type, size=document.size,
                        download_url=f"/crm/v1/documents/{document.id}/file", created_at=document.created_at)


class DocumentController(Controller):
    path = "/crm/v1"
    tags = ["CRM: documents"]
    dependencies = {**PARTNER, **STORAGE}
    security = PARTNER_SECURITY

    @post("/premises/{premise_id:str}/documents", operation_id="UploadPremiseDocument", opt=EDIT,
          responses=problems(Common.NOT_FOUND, Common.PAYLOAD_TOO_LARGE, EstateCode.FILE_TOO_LARGE))
    async def upload(self, actor: PartnerPrincipal, premise_id: str, db: AsyncSession, runtime: Runtime,
                     storage: Storage,
                     data: Multipart) -> Created:
        """CRM-DOC-01: uploads a document of a premise (multipart: name, description, date, file), streamed to
        storage."""
        upload = service.Upload(file_name=data.file.filename or "", stream=data.file.file)
        try:
            document = await service.add_document(
                db, actor, runtime.clock, storage, path_id(premise_id), name=data.name,
                description=data.description, date=data.date, is_public=data.is_public, upload=upload)
        finally:
            await data.file.close()
        return Created(id=str(document.id))

    @get("/premises/{premise_id:str}/documents", operation_id="ListPremiseDocuments",
         responses=problems(Common.NOT_FOUND))
    async def list_documents(self, actor: PartnerPrincipal, premise_id: str, db: AsyncSession, pages: Pages,
                             q: str | None = None, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> DocumentList:
        """CRM-DOC-01: a premise's documents, searchable by name and description (not by file name), keyset-
        paginated."""
        rows, next_cursor = await service.list_documents(db, actor, path_id(premise_id), q=q, cursor=pages.open(cursor),
                                                         limit=limit)
        return DocumentList(items=[document_card(d) for d in rows], next_cursor=pages.seal(next_cursor))

    @get("/documents/{document_id:str}", operation_id="GetDocument", responses=problems(Common.NOT_FOUND))
    async def get_document(self, actor: PartnerPrincipal, document_id: str, db: AsyncSession) -> DocumentCard:
        """CRM-DOC-01: one document's fields."""
        return document_card(await service.get_document(db, actor, path_id(document_id)))

    @get("/documents/{document_id:str}/file", operation_id="DownloadDocument",
         responses={**problems(Common.NOT_FOUND), **FILE_RESPONSE})
    async def download(self, actor: PartnerPrincipal, document_id: str, db: AsyncSession,
                       storage: Storage) -> Stream:
        """CRM-DOC-01: downloads the document's file, streamed from storage through the API."""
        return await download(storage, await service.get_document(db, actor, path_id(document_id)))

    @patch("/documents/{document_id:str}", operation_id="UpdateDocument", opt=EDIT,
           responses=problems(Common.NOT_FOUND))
    async def update(self, actor: PartnerPrincipal, document_id: str, data: UpdateDocumentRequest, db: AsyncSession,
                     runtime: Runtime) -> DocumentCard:
        """CRM-DOC-01: changes a document's name, description, date or visibility in the app."""
        return document_card(await service.update_document(db, actor, runtime.clock, path_id(document_id),
                                                           changes_of(data)))

    @delete("/documents/{document_id:str}", operation_id="DeleteDocument", opt=EDIT,
            responses=problems(Common.NOT_FOUND))
    async def delete_document(self, actor: PartnerPrincipal, document_id: str, db: AsyncSession,
                              storage: Storage) -> None:
        """CRM-DOC-01: deletes a document and its stored file."""
        await service.delete_document(db, actor, storage, path_id(document_id))
