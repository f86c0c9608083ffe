"""Premises, their clients (links) and personal accounts."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import links as link_service
from core.clients import repository as clients
from core.estate import accounts as account_service
from core.estate import premises as service
from core.estate import repository as estate
from core.estate.repository import PremiseFilter
from core.partners.service import PartnerPrincipal
from core.infra.runtime import Runtime
from crm.premises.schemas import (AccountView, AddPremiseClientRequest, CreateAccountRequest, CreatePremiseRequest,
                                  LinkView, PremiseCard, PremiseList, UpdateAccountRequest, UpdatePremiseClientRequest,
                                  UpdatePremiseRequest)
from crm.premises.views import account_view, link_view, premise_card, premise_rows
from core.clients.pii import PiiPolicy
from web.deps import PARTNER, PARTNER_SECURITY, Pages
from web.ids import parse_id, path_id
from core.errors import Common
from core.clients.rules import ClientCode
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Created, Cursor, Limit, changes_of

EDIT = {"permission": "premises.edit"}
LINK_IDS = ("client_id", "depends_on_client_id")
PremiseSort = Literal["address", "-address", "area", "-area"]
PremiseTypeFilter = Literal["apartment", "parking_space", "storage", "apartments", "non_residential", "house",
                            "townhouse", "duplex", "room", "land"]
Query = Annotated[str | None, Parameter(max_length=200)]


class PremiseController(Controller):
    path = "/crm/v1"
    tags = ["CRM: premises"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @post("/premises", operation_id="CreatePremise", opt=EDIT, responses=problems(Common.CONFLICT, ClientCode.EXTERNAL_ID_TAKEN))
    async def create_premise(self, actor: PartnerPrincipal, data: CreatePremiseRequest, db: AsyncSession) -> Created:
        """CRM-PREM-02, CRM-VAL-01: creates a premise of an object (empty floor saves as 0, living area ≤
        total)."""
        premise = await service.create_premise(db, actor, changes_of(data, ids=("object_id",)))
        return Created(id=str(premise.id))

    @get("/premises", operation_id="ListPremises", responses=problems())
    async def list_premises(
        self, actor: PartnerPrincipal, db: AsyncSession, pages: Pages, q: Query = None, type: PremiseTypeFilter | None = None,
        object_id: str | None = None, object_group_id: str | None = None, quarter_id: str | None = None,
        client_id: str | None = None, tag: Annotated[list[str] | None, Parameter(max_items=20)] = None,
        sort: PremiseSort = "address", cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT,
    ) -> PremiseList:
        """CRM-PREM-01: search street → house → premise, by personal account, by client; filters; sorts."""
        flt = PremiseFilter(
            q=q, type=type, tags=tag or [],
            object_id=parse_id(object_id, "object_id") if object_id else None,
            object_group_id=parse_id(object_group_id, "object_group_id") if object_group_id else None,
            quarter_id=parse_id(quarter_id, "quarter_id") if quarter_id else None,
            client_id=parse_id(client_id, "client_id") if client_id else None)
        rows, next_cursor = await estate.list_premises(db, actor, flt, sort=sort, cursor=pages.open(cursor),
                                                        limit=limit)
        return PremiseList(items=await premise_rows(db, actor, rows), next_cursor=pages.seal(next_cursor))

    @get("/premises/{premise_id:str}", operation_id="GetPremise", responses=problems(Common.NOT_FOUND))
    async def get_premise(self, actor: PartnerPrincipal, premise_id: str, db: AsyncSession) -> PremiseCard:
        """The premise card with its clients (masked by the caller's permissions) and personal accounts."""
        return await premise_card(db, actor, await service.get_premise(db, actor, path_id(premise_id)))

    @patch("/premises/{premise_id:str}", operation_id="UpdatePremise", opt=EDIT,
           responses=problems(Common.NOT_FOUND, Common.CONFLICT, ClientCode.EXTERNAL_ID_TAKEN))
    async def update_premise(self, actor: PartnerPrincipal, premise_id: str, data: UpdatePremiseRequest,
                             db: AsyncSession) -> PremiseCard:
        """CRM-PREM-02: changes a premise's fields, address parts, areas, tags and online payment switch."""
        premise = await service.update_premise(db, actor, path_id(premise_id), changes_of(data, ids=("object_id",)))
        return await premise_card(db, actor, premise)

    @delete("/premises/{premise_id:str}", operation_id="DeletePremise", opt=EDIT, responses=problems(Common.NOT_FOUND))
    async def delete_premise(self, actor: PartnerPrincipal, premise_id: str, db: AsyncSession) -> None:
        """CRM-PREM-03: deletes a premise with its personal accounts and bills; its residents lose it in the
        app at once."""
        await service.delete_premise(db, actor, path_id(premise_id))

    @post("/premises/{premise_id:str}/clients", operation_id="AddPremiseClient", opt=EDIT,
          responses=problems(Common.NOT_FOUND, Common.CONFLICT, ClientCode.ALREADY_LINKED))
    async def add_client(self, actor: PartnerPrincipal, premise_id: str, data: AddPremiseClientRequest,
                         db: AsyncSession, runtime: Runtime) -> LinkView:
        """CRM-LINK-01: any number of clients; a non-owner names the owner it depends on."""
        link = await link_service.add_link(db, actor, path_id(premise_id), changes_of(data, ids=LINK_IDS),
                                           today=runtime.clock.now().date())
        return link_view(link, await clients.client_by_id(db, link.client_id), PiiPolicy.of(actor))

    @patch("/premises/{premise_id:str}/clients/{client_id:str}", operation_id="UpdatePremiseClient", opt=EDIT,
           responses=problems(Common.NOT_FOUND))
    async def update_client(self, actor: PartnerPrincipal, premise_id: str, client_id: str,
                            data: UpdatePremiseClientRequest, db: AsyncSession, runtime: Runtime) -> LinkView:
        """CRM-LINK-01: changes a client's link to the premise (role, owner depended on, documents, share,
        rent day, ...)."""
        link = await link_service.update_link(db, actor, path_id(premise_id), path_id(client_id),
                                              changes_of(data, ids=LINK_IDS), today=runtime.clock.now().date())
        return link_view(link, await clients.client_by_id(db, link.client_id), PiiPolicy.of(actor))

    @delete("/premises/{premise_id:str}/clients/{client_id:str}", operation_id="RemovePremiseClient", opt=EDIT,
            responses=problems(Common.NOT_FOUND))
    async def remove_client(self, actor: PartnerPrincipal, premise_id: str, client_id: str, db: AsyncSession) -> None:
        """CRM-LINK-01: removes a client's link to the premise, and the links of those who depended on them."""
        await link_service.remove_link(db, actor, path_id(premise_id), path_id(client_id))

    @post("/premises/{premise_id:str}/accounts", operation_id="CreatePersonalAccount", opt=EDIT,
          responses=problems(Common.NOT_FOUND, Common.CONFLICT, ClientCode.EXTERNAL_ID_TAKEN))
    async def create_account(self, actor: PartnerPrincipal, premise_id: str, data: CreateAccountRequest,
                             db: AsyncSession) -> Created:
        """CRM-VAL-01: adds a personal account to a premise (ЕЛС in GIS ZhKH format), optionally hidden in the
        app."""
        account = await account_service.create_account(db, actor, path_id(premise_id), changes_of(data))
        return Created(id=str(account.id))

    @patch("/accounts/{account_id:str}", operation_id="UpdatePersonalAccount", opt=EDIT,
           responses=problems(Common.NOT_FOUND, Common.CONFLICT, ClientCode.EXTERNAL_ID_TAKEN))
    async def update_account(self, actor: PartnerPrincipal, account_id: str, data: UpdateAccountRequest,
                             db: AsyncSession) -> AccountView:
        """Changes a personal account's number, legal entity, ЕЛС, external id or visibility in the app."""
        return account_view(await account_service.update_account(db, actor, path_id(account_id), changes_of(data)))

    @delete("/accounts/{account_id:str}", operation_id="DeletePersonalAccount", opt=EDIT,
            responses=problems(Common.NOT_FOUND))
    async def delete_account(self, actor: PartnerPrincipal, account_id: str, db: AsyncSession) -> None:
        """Deletes a personal account with its bills and meter readings."""
        await account_service.delete_account(db, actor, path_id(account_id))
