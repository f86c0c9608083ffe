"""Client cards: create, search, read, change (CRM-CLI-01..04, STAFF-02/03)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, patch, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_pii_read
from core.clients import service
from core.clients.pii import PiiPolicy, mask
from core.clients import repository
from core.clients.repository import LinkedPremise
from core.clients.service import ClientFilter, full_name
from core.estate.premises import full_address
from core.models import Client
from core.partners.service import PartnerPrincipal
from core.residents.rules import account_name
from core.infra.runtime import Runtime
from crm.clients.schemas import (ClientCard, ClientList, ClientPremise, ClientRow, CreateClientRequest,
                                 ExternalIdView, UpdateClientRequest)
from web.deps import PARTNER, PARTNER_SECURITY, Pages
from web.ids import parse_id, path_id
from core.errors import Common
from core.clients.rules import ClientCode
from core.phones import PhoneCode
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Created, Cursor, Limit, changes_of

EDIT = {"permission": "clients.edit"}
ClientSort = Literal["name", "-name", "phone", "-phone", "last_visit", "-last_visit"]


def _plain(changes: dict) -> dict:
    for name in ("passport",):
        if isinstance(changes.get(name), msgspec.Struct):
            changes[name] = msgspec.to_builtins(changes[name])
    if "external_ids" in changes:
        changes["external_ids"] = [msgspec.to_builtins(e) for e in changes["external_ids"]]
    return changes


def _premises(items: list[LinkedPremise]) -> list[ClientPremise]:
    return [ClientPremise(premise_id=str(i.premise_id), address=full_address(i.premise), object_name=i.object_name,
                          role=i.role) for i in items]


async def client_card(db: AsyncSession, actor: PartnerPrincipal, client: Client) -> ClientCard:
    policy = PiiPolicy.of(actor)
    # App-side facts only from the apps this partner sees (STAFF-04): a card typed with the phone
    # of another partner's resident reveals nothing of what that phone does there.
    use = await service.app_use_of(db, actor.partner_id, client.phone)
    account = use.account
    premises = (await repository.premises_of(db, [client.id])).get(client.id, [])
    external_ids = await repository.external_ids_of(db, client.id)
    await record_pii_read(db, actor, [client.id], policy.revealed)
    identity = policy.names  # identity documents follow the name permission
    return ClientCard(
        id=str(client.id), type=client.type, full_name=policy.name(full_name(client)),
        last_name=policy.name(client.last_name), first_name=policy.name(client.first_name),
        middle_name=policy.name(client.middle_name), organization_name=policy.organization(client.organization_name),
        tax_form=client.tax_form, phone=policy.phone(client.phone), email=policy.email(client.email),
        gender=client.gender, birth_date=client.birth_date if identity else None,
        passport=client.passport if identity else ({"masked": "***"} if client.passport else None),
        registration_address=client.registration_address if identity else mask(client.registration_address),
        inn=client.inn if identity else mask(client.inn), snils=client.snils if identity else mask(client.snils),
        loyalty_card=client.loyalty_card, note=client.note, tags=list(client.tags), status=client.status,
        is_tester=client.is_tester,
        external_ids=[ExternalIdView(value=e.value, note=e.note) for e in external_ids],
        premises=_premises(premises), has_logged_in=use.first_login_at is not None,
        first_login_at=use.first_login_at, last_visit_at=use.last_visit_at,
        app_name=policy.name(account_name(account.type, account.last_name, account.first_name, account.middle_name,
                                          account.name)) if account else None,
        created_at=client.created_at, updated_at=client.updated_at,
    )


async def client_rows(db: AsyncSession, actor: PartnerPrincipal, rows: list) -> list[ClientRow]:
    """List rows of `service.list_clients`, masked per the actor (the API's list and the console's)."""
    policy = PiiPolicy.of(actor)
    premises = await repository.premises_of(db, [r.Client.id for r in rows])
    await record_pii_read(db, actor, [r.Client.id for r in rows], policy.revealed)
    return [ClientRow(id=str(r.Client.id), full_name=policy.name(full_name(r.Client)),
                      phone=policy.phone(r.Client.phone), status=r.Client.status,
                      premises=_premises(premises.get(r.Client.id, [])), last_visit_at=r.last_visit_at)
            for r in rows]


class ClientController(Controller):
    path = "/crm/v1/clients"
    tags = ["CRM: clients"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @post("/", operation_id="CreateClient", opt=EDIT, responses=problems(Common.CONFLICT, PhoneCode.INVALID_PHONE, ClientCode.PHONE_TAKEN, ClientCode.EXTERNAL_ID_TAKEN, ClientCode.TAGS_EDIT_REQUIRED))
    async def create_client(self, actor: PartnerPrincipal, data: CreateClientRequest, db: AsyncSession,
                            runtime: Runtime) -> Created:
        """CRM-CLI-01/02, CRM-VAL-01: creates a client card; a phone held by another card of the partner is a
        409 naming it."""
        client = await service.create_client(db, actor, _plain(changes_of(data)), today=runtime.clock.now().date())
        return Created(id=str(client.id))

    @get("/", operation_id="ListClients", responses=problems())
    async def list_clients(
        self, actor: PartnerPrincipal, db: AsyncSession, pages: Pages,
        q: Annotated[str | None, Parameter(max_length=200, description="name or phone in any format or part")] = None,
        status: Literal["active", "blocked"] | None = None,
        type: Literal["individual", "sole_proprietor", "legal_entity", "foreign_branch"] | None = None,
        tag: Annotated[str | None, Parameter(max_length=50)] = None, premise_id: str | None = None,
        object_id: str | None = None, sort: ClientSort = "name", cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT,
    ) -> ClientList:
        """CRM-CLI-01: search by name or phone in any format; filters; sort by name, phone, last visit."""
        flt = ClientFilter(q=q, status=status, type=type, tag=tag,
                           premise_id=parse_id(premise_id, "premise_id") if premise_id else None,
                           object_id=parse_id(object_id, "object_id") if object_id else None)
        rows, next_cursor = await service.list_clients(db, actor, flt, sort=sort, cursor=pages.open(cursor),
                                                       limit=limit)
        return ClientList(items=await client_rows(db, actor, rows), next_cursor=pages.seal(next_cursor))

    @get("/{client_id:str}", operation_id="GetClient", responses=problems(Common.NOT_FOUND))
    async def get_client(self, actor: PartnerPrincipal, client_id: str, db: AsyncSession) -> ClientCard:
        """The client card with premises, external ids and app use, masked by the caller's personal-data
        permissions (STAFF-02)."""
        return await client_card(db, actor, await service.get_client(db, actor, path_id(client_id)))

    @patch("/{client_id:str}", operation_id="UpdateClient", opt=EDIT, responses=problems(Common.NOT_FOUND, Common.CONFLICT, Common.RULE_VIOLATION, PhoneCode.INVALID_PHONE, ClientCode.PHONE_TAKEN, ClientCode.EXTERNAL_ID_TAKEN, ClientCode.TAGS_EDIT_REQUIRED, ClientCode.PHONE_LOCKED))
    async def update_client(self, actor: PartnerPrincipal, client_id: str, data: UpdateClientRequest,
                            db: AsyncSession, runtime: Runtime) -> ClientCard:
        """CRM-CLI-03: changes a client card; the phone only while the client never logged in, a phone of
        another card is a 409 naming it."""
        client = await service.update_client(db, actor, path_id(client_id), _plain(changes_of(data)),
                                             today=runtime.clock.now().date())
        return await client_card(db, actor, client)
