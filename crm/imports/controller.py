"""Import through the API (IMPORT-01..07) and the staff merge of two client cards (CRM-CLI-03)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, post
from litestar.status_codes import HTTP_200_OK
from msgspec import Meta
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients.merge import staff_merge
from core.imports import service
from core.imports.service import MAX_BATCH, ItemResult
from core.partners.service import PartnerPrincipal
from core.runtime import Runtime
from crm.clients.controller import client_card
from crm.clients.schemas import ClientCard
from web.deps import PARTNER, PARTNER_SECURITY
from web.ids import parse_id, path_id
from web.problems import problems
from web.schemas import Id, Input, Output


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
                               clients=[_client_result(c) for c in r.clients] or None)


class ImportController(Controller):
    path = "/crm/v1"
    tags = ["CRM: import"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @post("/import/clients", status_code=HTTP_200_OK, operation_id="ImportClients",
          opt={"permission": "clients.edit"}, responses=problems(400, 401, 403))
    async def import_clients(self, actor: PartnerPrincipal, data: ImportRequest, runtime: Runtime) -> ClientImportAnswer:
        """IMPORT-01..05: each item matched by external id and phone; a result per item."""
        results = await service.import_clients(runtime, actor, data.items)
        return ClientImportAnswer(results=[_client_result(r) for r in results])

    @post("/import/premises", status_code=HTTP_200_OK, operation_id="ImportPremises", responses=problems(400, 401))
    async def import_premises(self, actor: PartnerPrincipal, data: ImportRequest, runtime: Runtime) -> PremiseImportAnswer:
        """IMPORT-06/07: premises upserted by external id with their accounts and clients; owners
        replaced as a set. Allowed without `premises.edit` (STAFF-01)."""
        results = await service.import_premises(runtime, actor, data.items)
        return PremiseImportAnswer(results=[_premise_result(r) for r in results])

    @post("/clients/{client_id:str}/merge", status_code=HTTP_200_OK, operation_id="MergeClients",
          opt={"permission": "clients.edit"}, responses=problems(400, 401, 403, 404, 422))
    async def merge(self, actor: PartnerPrincipal, client_id: str, data: MergeRequest, db: AsyncSession) -> ClientCard:
        """CRM-CLI-03: this card (whose phone was being changed) is replaced by `with_client_id`."""
        survivor = await staff_merge(db, actor, path_id(client_id), parse_id(data.with_client_id, "with_client_id"))
        return await client_card(db, actor, survivor)
