"""Import through the API (IMPORT-01..07) and the staff merge of two client cards (CRM-CLI-03)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Stream
from litestar.status_codes import HTTP_200_OK, HTTP_202_ACCEPTED
from msgspec import Meta
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients.merge import staff_merge
from core.clients.service import ClientFilter
from core.errors import Common, InvalidInput, NotFound, PermissionDenied
from core.estate.repository import PremiseFilter
from core.imports import export, formats, service
from core.imports.jobs import create_job, get_job, list_jobs
from core.imports.service import MAX_BATCH, ItemResult
from core.partners.service import PartnerPrincipal
from core.infra.runtime import Runtime
from crm.clients.controller import client_card
from crm.clients.schemas import ClientCard
from web.deps import PARTNER, PARTNER_SECURITY, Pages
from web.ids import parse_id, path_id
from core.clients.rules import ClientCode
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Cursor, Id, Input, Limit, Output


class ImportRequest(Input, kw_only=True):
    """Each item is validated on its own, so a malformed item fails alone (see the item schemas
    in the README: clients `{external_id, phone, last_name, first_name, middle_name?, email?, …}`,
    premises `{external_id, object_id, type, street, house, number, …, accounts, clients}`)."""

    items: Annotated[list[dict[str, Any]], Meta(min_length=1, max_length=MAX_BATCH)]


class FieldMessage(Output, kw_only=True):
    field: str
    message: str


class ClientImportResult(Output, kw_only=True, omit_defaults=True):
    index: int
    status: str
    client_id: str | None = None
    code: str | None = None
    detail: str | None = None
    errors: list[FieldMessage] | None = None


class PremiseImportResult(ClientImportResult, kw_only=True, omit_defaults=True):
    premise_id: str | None = None
    clients: list[ClientImportResult] | None = None
    # An error about one of the item's clients: which one (`detail` is the rule's message as is).
    client_index: int | None = None
    client_external_id: str | None = None


class ClientImportAnswer(Output, kw_only=True):
    results: list[ClientImportResult]


class PremiseImportAnswer(Output, kw_only=True):
    results: list[PremiseImportResult]


class MergeRequest(Input, kw_only=True):
    with_client_id: Id


def _client_result(r: ItemResult) -> ClientImportResult:
    return ClientImportResult(index=r.index, status=r.status, client_id=str(r.client_id) if r.client_id else None,
                              code=r.code, detail=r.detail,
                              errors=[FieldMessage(**e) for e in r.errors] or None)


def _premise_result(r: ItemResult) -> PremiseImportResult:
    return PremiseImportResult(index=r.index, status=r.status, premise_id=str(r.premise_id) if r.premise_id else None,
                               code=r.code, detail=r.detail, errors=[FieldMessage(**e) for e in r.errors] or None,
                               clients=[_client_result(c) for c in r.clients] or None,
                               client_index=r.client_index, client_external_id=r.client_external_id)


class ImportController(Controller):
    path = "/crm/v1"
    tags = ["CRM: import"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @post("/import/clients", status_code=HTTP_200_OK, operation_id="ImportClients",
          opt={"permission": "clients.edit"}, responses=problems())
    async def import_clients(self, actor: PartnerPrincipal, data: ImportRequest, runtime: Runtime) -> ClientImportAnswer:
        """IMPORT-01..05: each item matched by external id and phone; a result per item."""
        results = await service.import_clients(runtime, actor, data.items)
        return ClientImportAnswer(results=[_client_result(r) for r in results])

    @post("/import/premises", status_code=HTTP_200_OK, operation_id="ImportPremises", responses=problems())
    async def import_premises(self, actor: PartnerPrincipal, data: ImportRequest, runtime: Runtime) -> PremiseImportAnswer:
        """IMPORT-06/07: premises upserted by external id with their accounts and clients; owners
        replaced as a set (an item without `clients` leaves its people as they are). Allowed
        without `premises.edit`; the clients of an item need `clients.edit`, without it they are
        refused with `permission_required` and nothing about the premise's people changes (STAFF-01)."""
        results = await service.import_premises(runtime, actor, data.items)
        return PremiseImportAnswer(results=[_premise_result(r) for r in results])

    @post("/clients/{client_id:str}/merge", status_code=HTTP_200_OK, operation_id="MergeClients",
          opt={"permission": "clients.edit"}, responses=problems(Common.NOT_FOUND, Common.RULE_VIOLATION, ClientCode.PHONE_LOCKED))
    async def merge(self, actor: PartnerPrincipal, client_id: str, data: MergeRequest, db: AsyncSession) -> ClientCard:
        """CRM-CLI-03: this card (whose phone was being changed) is replaced by `with_client_id`."""
        survivor = await staff_merge(db, actor, path_id(client_id), parse_id(data.with_client_id, "with_client_id"))
        return await client_card(db, actor, survivor)


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ImportKind = Literal["premises", "clients"]
MAX_FILE = 50 * 1024 * 1024


@dataclass
class ImportFileForm:
    file: UploadFile


class ImportJobCard(Output, kw_only=True):
    id: str
    kind: str
    format: str
    file_name: str
    status: Literal["pending", "running", "done", "failed"]
    # Rows in the file: known as soon as the worker has read it (null while the job waits).
    total: int | None
    processed: int
    created: int
    updated: int
    errors_count: int
    errors: list[dict]
    failure: str | None
    created_at: datetime
    finished_at: datetime | None


class ImportJobList(Output, kw_only=True):
    items: list[ImportJobCard]
    next_cursor: str | None


def job_card(job) -> ImportJobCard:
    return ImportJobCard(id=str(job.id), kind=job.kind, format=job.format, file_name=job.file_name, status=job.status,
                         total=job.total, processed=job.processed, created=job.created, updated=job.updated,
                         errors_count=job.errors_count, errors=job.errors, failure=job.failure,
                         created_at=job.created_at, finished_at=job.finished_at)


def _need(actor: PartnerPrincipal, kind: str) -> None:
    # STAFF-01: premises are imported by file even without `premises.edit`; clients need `clients.edit`.
    if kind == "clients" and not actor.can("clients.edit"):
        raise PermissionDenied.lacking("clients.edit")


def _stream(handle, file_name: str) -> Stream:
    async def chunks():
        try:
            while chunk := await asyncio.to_thread(handle.read, 1 << 20):
                yield chunk
        finally:
            handle.close()

    return Stream(chunks(), media_type=XLSX,
                  headers={"Content-Disposition": f'attachment; filename="{file_name}"'})


class ExcelController(Controller):
    path = "/crm/v1"
    tags = ["CRM: import"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @get("/import/{kind:str}/template", operation_id="GetImportTemplate", responses=problems(Common.NOT_FOUND),
         media_type=XLSX)
    async def template(self, actor: PartnerPrincipal, kind: str) -> Response[bytes]:
        """IMPORT-08: the Excel template with an instruction sheet; exports use the same columns."""
        if kind not in formats.COLUMNS:
            raise NotFound("Нет такого шаблона")
        content = await asyncio.to_thread(formats.template, kind)
        return Response(content, media_type=XLSX,
                        headers={"Content-Disposition": f'attachment; filename="{kind}-template.xlsx"'})

    @post("/import/{kind:str}/file", status_code=HTTP_202_ACCEPTED, operation_id="UploadImportFile",
          responses=problems(Common.NOT_FOUND, Common.PAYLOAD_TOO_LARGE, Common.PERMISSION_REQUIRED))
    async def upload(self, actor: PartnerPrincipal, kind: str, runtime: Runtime, db: AsyncSession,
                     data: Annotated[ImportFileForm, Body(media_type=RequestEncodingType.MULTI_PART)]) -> ImportJobCard:
        """IMPORT-08: an Excel (.xlsx) or XML file; the worker imports it; follow the job for
        progress and row-level errors."""
        if kind not in formats.COLUMNS:
            raise NotFound("Нет такого импорта")
        _need(actor, kind)
        name = data.file.filename or "import"
        lowered = name.lower()
        if lowered.endswith(".xlsx"):
            fmt = "xlsx"
        elif lowered.endswith(".xml") or data.file.content_type in ("application/xml", "text/xml"):
            fmt = "xml"
        else:
            raise InvalidInput.field("file", "Загрузите файл Excel (.xlsx) по шаблону или XML")
        size = await asyncio.to_thread(lambda: data.file.file.seek(0, 2))
        if size > MAX_FILE:
            raise InvalidInput.field("file", "Файл больше 50 МБ: разделите его на части")
        await asyncio.to_thread(data.file.file.seek, 0)
        job = await create_job(runtime, db, actor, kind=kind, fmt=fmt, file_name=name, source=data.file.file)
        return job_card(job)

    @get("/import/jobs", operation_id="ListImportJobs", responses=problems())
    async def jobs(self, actor: PartnerPrincipal, db: AsyncSession, pages: Pages,
                   kind: Literal["premises", "clients"] | None = None,
                   status: Literal["pending", "running", "done", "failed"] | None = None,
                   cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> ImportJobList:
        """The partner's file imports, newest first, each with its progress."""
        rows, next_cursor = await list_jobs(db, actor, kind=kind, status=status, cursor=pages.open(cursor), limit=limit)
        return ImportJobList(items=[job_card(job) for job in rows], next_cursor=pages.seal(next_cursor))

    @get("/import/jobs/{job_id:str}", operation_id="GetImportJob", responses=problems(Common.NOT_FOUND))
    async def job(self, actor: PartnerPrincipal, job_id: str, db: AsyncSession) -> ImportJobCard:
        """IMPORT-08: a file import job: status, progress (`total` once the file is read, `processed`), counts
        and row errors."""
        return job_card(await get_job(db, actor, path_id(job_id)))

    @get("/export/premises", operation_id="ExportPremises", responses=problems(), media_type=XLSX)
    async def export_premises(
        self, actor: PartnerPrincipal, db: AsyncSession, q: str | None = None, type: str | None = None,
        object_id: str | None = None, client_id: str | None = None, tag: list[str] | None = None,
        sort: Literal["address", "-address", "area", "-area"] = "address",
    ) -> Stream:
        """CRM-PREM-01 export columns in the import template; filters and masking as in the list."""
        flt = PremiseFilter(q=q, type=type, tags=tag or [],
                            object_id=parse_id(object_id, "object_id") if object_id else None,
                            client_id=parse_id(client_id, "client_id") if client_id else None)
        return _stream(await export.export_premises(db, actor, flt, sort), "premises.xlsx")

    @get("/export/clients", operation_id="ExportClients", opt={"permission": "reports.clients"},
         responses=problems(), media_type=XLSX)
    async def export_clients(
        self, actor: PartnerPrincipal, db: AsyncSession, q: str | None = None, status: str | None = None,
        tag: str | None = None, premise_id: str | None = None, object_id: str | None = None,
        sort: Literal["name", "-name", "phone", "-phone", "last_visit", "-last_visit"] = "name",
    ) -> Stream:
        """CRM-CLI-01 export columns; filters and masking as in the list."""
        flt = ClientFilter(q=q, status=status, tag=tag,
                           premise_id=parse_id(premise_id, "premise_id") if premise_id else None,
                           object_id=parse_id(object_id, "object_id") if object_id else None)
        return _stream(await export.export_clients(db, actor, flt, sort), "clients.xlsx")
