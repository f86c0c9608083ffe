"""Read queries of client cards, their external ids, tags and app use."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Row, and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Account, Client, ClientExternalId, EstateObject, Premise, PremiseLink
from core.scope import app_use_select, partner_sessions


async def client_by_id(db: AsyncSession, client_id: uuid.UUID) -> Client | None:
    return await db.get(Client, client_id)


async def phone_of(db: AsyncSession, client_id: uuid.UUID) -> str | None:
    return await db.scalar(select(Client.phone).where(Client.id == client_id))


async def partner_card_phone(db: AsyncSession, partner_id: uuid.UUID, client_id: uuid.UUID) -> Row | None:
    """(phone,) of the partner's card; None: not a card of the partner."""
    return (await db.execute(select(Client.phone).where(Client.id == client_id,
                                                        Client.partner_id == partner_id))).first()


async def card_by_phone(db: AsyncSession, partner_id: uuid.UUID, phone: str, *,
                        exclude: uuid.UUID | None = None) -> Client | None:
    """The partner's card with this phone (other than `exclude`)."""
    stmt = select(Client).where(Client.partner_id == partner_id, Client.phone == phone)
    if exclude:
        stmt = stmt.where(Client.id != exclude)
    return (await db.scalars(stmt)).first()


async def link(db: AsyncSession, premise_id: uuid.UUID, client_id: uuid.UUID) -> PremiseLink | None:
    """The client's link to the premise, if there is one."""
    return (await db.scalars(select(PremiseLink).where(PremiseLink.premise_id == premise_id,
                                                       PremiseLink.client_id == client_id))).first()


async def shared_premise_links(db: AsyncSession, *, absorbed: uuid.UUID, survivor: uuid.UUID) -> list[Row]:
    """(id, role, absorbed_role) of the survivor's links to premises the absorbed card is linked to
    as well: the survivor's link and role beside the absorbed card's role."""
    mine = PremiseLink.__table__.alias("mine")
    theirs = PremiseLink.__table__.alias("theirs")
    return list((await db.execute(select(mine.c.id, mine.c.role, theirs.c.role.label("absorbed_role"))
                                  .join(theirs, and_(theirs.c.premise_id == mine.c.premise_id,
                                                     theirs.c.client_id == absorbed))
                                  .where(mine.c.client_id == survivor))).all())


async def has_logged_in(db: AsyncSession, partner_id: uuid.UUID, phone: str | None) -> bool:
    """Whether the phone logged in to an app the partner sees (STAFF-04): a login to another
    partner's white-label app is none of this partner's business, and must not show through a
    refusal either."""
    if not phone:
        return False
    return bool(await db.scalar(select(exists(partner_sessions(partner_id, phone)))))


async def app_use(db: AsyncSession, partner_id: uuid.UUID, phone: str) -> Row:
    """(first login, last visit) of the phone in the apps the partner sees (STAFF-04)."""
    return (await db.execute(app_use_select(partner_id, phone))).one()


async def partner_tags(db: AsyncSession, partner_id: uuid.UUID) -> set[str]:
    rows = await db.scalars(select(func.unnest(Client.tags)).where(Client.partner_id == partner_id).distinct())
    return set(rows.all())


async def external_id_holder(db: AsyncSession, partner_id: uuid.UUID, values: list[str],
                             client_id: uuid.UUID) -> Row | None:
    """(value, client_id) of one of `values` held by another card of the partner."""
    return (await db.execute(select(ClientExternalId.value, ClientExternalId.client_id).where(
        ClientExternalId.partner_id == partner_id, ClientExternalId.value.in_(values),
        ClientExternalId.client_id != client_id))).first()


async def external_ids_of(db: AsyncSession, client_id: uuid.UUID) -> list[ClientExternalId]:
    return list((await db.scalars(select(ClientExternalId).where(ClientExternalId.client_id == client_id)
                                  .order_by(ClientExternalId.created_at, ClientExternalId.value))).all())


async def external_id_values(db: AsyncSession, client_id: uuid.UUID) -> set[str]:
    return set((await db.scalars(select(ClientExternalId.value).where(ClientExternalId.client_id == client_id))).all())


async def external_ids_by_client(db: AsyncSession, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The external ids of several cards in one query, oldest first."""
    result: dict[uuid.UUID, list[str]] = defaultdict(list)
    if client_ids:
        for client_id, value in (await db.execute(
                select(ClientExternalId.client_id, ClientExternalId.value)
                .where(ClientExternalId.client_id.in_(client_ids)).order_by(ClientExternalId.created_at))).all():
            result[client_id].append(value)
    return result


async def app_accounts(db: AsyncSession, phones: list[str]) -> list[Row]:
    """(phone, type, last_name, first_name, middle_name, name) of the app accounts of these phones."""
    if not phones:
        return []
    return list((await db.execute(select(Account.phone, Account.type, Account.last_name, Account.first_name,
                                         Account.middle_name, Account.name).where(Account.phone.in_(phones)))).all())


async def account_of(db: AsyncSession, phone: str | None) -> Account | None:
    if not phone:
        return None
    return (await db.scalars(select(Account).where(Account.phone == phone))).first()


@dataclass(frozen=True, slots=True)
class LinkedPremise:
    client_id: uuid.UUID
    premise_id: uuid.UUID
    role: str
    premise: Premise
    object_name: str


async def premises_of(db: AsyncSession, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[LinkedPremise]]:
    """The premises of several clients in one query (no N+1)."""
    if not client_ids:
        return {}
    rows = (await db.execute(
        select(PremiseLink.client_id, PremiseLink.role, Premise, EstateObject.name)
        .join(Premise, Premise.id == PremiseLink.premise_id).join(EstateObject, EstateObject.id == Premise.object_id)
        .where(PremiseLink.client_id.in_(client_ids)).order_by(PremiseLink.linked_at, Premise.id)
    )).all()
    result: dict[uuid.UUID, list[LinkedPremise]] = {}
    for client_id, role, premise, object_name in rows:
        result.setdefault(client_id, []).append(LinkedPremise(client_id, premise.id, role, premise, object_name))
    return result
