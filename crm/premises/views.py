"""Assembles the premise answers: queries in, Structs out, personal data masked per the actor."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_pii_read
from core.clients.pii import PiiPolicy
from core.clients.service import full_name
from core.estate import repository
from core.estate.premises import effective_online_payment, full_address
from core.models import Client, PersonalAccount, Premise, PremiseLink
from core.partners.service import PartnerPrincipal
from crm.premises.schemas import AccountView, LinkView, PremiseCard, PremiseClientBrief, PremiseRow


def _s(value) -> str | None:
    return None if value is None else str(value)


def account_view(account: PersonalAccount) -> AccountView:
    return AccountView(id=str(account.id), number=account.number, legal_entity=account.legal_entity, els=account.els,
                       external_id=account.external_id, hidden_in_app=account.hidden_in_app)


def _added_by(link: PremiseLink) -> str:
    if link.added_by_account_id:
        return "app"
    return "staff" if link.added_by_staff_id else "integration"


def link_view(link: PremiseLink, client: Client, policy: PiiPolicy) -> LinkView:
    return LinkView(
        client_id=str(client.id), full_name=policy.name(full_name(client)), phone=policy.phone(client.phone),
        role=link.role, depends_on_client_id=_s(link.depends_on_client_id), share=link.share,
        ddu_number=link.ddu_number, ddu_date=link.ddu_date, acceptance_act_number=link.acceptance_act_number,
        acceptance_act_date=link.acceptance_act_date, certificate_number=link.certificate_number,
        certificate_date=link.certificate_date, management_contract_number=link.management_contract_number,
        management_contract_date=link.management_contract_date, staff_comment=link.staff_comment,
        online_payment=link.online_payment, keep_on_integration=link.keep_on_integration, rent_day=link.rent_day,
        added_by=_added_by(link), linked_at=link.linked_at)


async def premise_card(db: AsyncSession, actor: PartnerPrincipal, premise: Premise) -> PremiseCard:
    obj = await repository.estate_object(db, premise.object_id)
    links = await repository.premise_links(db, premise.id)
    accounts = (await repository.accounts_of(db, [premise.id])).get(premise.id, [])
    policy = PiiPolicy.of(actor)
    await record_pii_read(db, actor, [client.id for _, client in links], policy.revealed)
    return PremiseCard(
        id=str(premise.id), object_id=str(premise.object_id), object_name=obj.name, type=premise.type,
        address=full_address(premise), street=premise.street, house=premise.house, building=premise.building,
        entrance=premise.entrance, floor=premise.floor, number=premise.number, total_area=premise.total_area,
        living_area=premise.living_area, rooms=premise.rooms, online_payment=premise.online_payment,
        effective_online_payment=effective_online_payment(premise.online_payment, obj.online_payment),
        note=premise.note, tags=list(premise.tags), external_id=premise.external_id, created_at=premise.created_at,
        updated_at=premise.updated_at, clients=[link_view(link, client, policy) for link, client in links],
        accounts=[account_view(a) for a in accounts],
    )


async def premise_rows(db: AsyncSession, actor: PartnerPrincipal, rows: list) -> list[PremiseRow]:
    """List rows with their clients and personal accounts: three queries whatever the page size."""
    ids: list[uuid.UUID] = [row.Premise.id for row in rows]
    clients: dict[uuid.UUID, list[PremiseClientBrief]] = {}
    policy = PiiPolicy.of(actor)
    shown: list[uuid.UUID] = []
    if ids:
        for premise_id, role, client in await repository.linked_clients(db, ids):
            shown.append(client.id)
            clients.setdefault(premise_id, []).append(
                PremiseClientBrief(client_id=str(client.id), full_name=policy.name(full_name(client)), role=role))
    await record_pii_read(db, actor, shown, [f for f in policy.revealed if f == "name"])
    accounts = await repository.accounts_of(db, ids)
    return [
        PremiseRow(id=str(p.id), address=full_address(p), object_id=str(p.object_id), object_name=row.object_name,
                   type=p.type, entrance=p.entrance, floor=p.floor, number=p.number, total_area=p.total_area,
                   living_area=p.living_area, tags=list(p.tags), external_id=p.external_id,
                   clients=clients.get(p.id, []), personal_accounts=[a.number for a in accounts.get(p.id, [])])
        for row in rows
        for p in (row.Premise,)
    ]
