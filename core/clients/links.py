"""Links between premises and clients, as staff manage them (CRM-LINK-01)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import repository, rules
from core.clients.service import own_client
from core.errors import Conflict, InvalidInput, NotFound
from core.estate.premises import get_premise
from core.models import PremiseLink
from core.partners.service import PartnerPrincipal
from core.changes import scoped
from core.clients.rules import ClientCode

OWNER_ROLES = ("owner", "unconfirmed_owner")
LINK_FIELDS = ("ddu_number", "ddu_date", "acceptance_act_number", "acceptance_act_date", "certificate_number",
               "certificate_date", "management_contract_number", "management_contract_date", "share",
               "staff_comment", "online_payment", "keep_on_integration", "rent_day")
DOCUMENT_DATES = ("ddu_date", "acceptance_act_date", "certificate_date", "management_contract_date")


async def get_link(db: AsyncSession, actor: PartnerPrincipal, premise_id: uuid.UUID, client_id: uuid.UUID) -> PremiseLink:
    await get_premise(db, actor, premise_id)
    link = await repository.link(db, premise_id, client_id)
    if link is None:
        raise NotFound("Клиент не привязан к этому помещению")
    return link


async def _check_role(db: AsyncSession, link: PremiseLink) -> None:
    """An owner and an unconfirmed owner depend on nobody (the unconfirmed owner exists precisely
    while no confirmed owner is registered); anyone else names an owner of the same premise; a
    tenant has a rent day."""
    if link.role in OWNER_ROLES:
        link.depends_on_client_id = None
    else:
        if link.depends_on_client_id is None:
            raise InvalidInput.field("depends_on_client_id", "Укажите собственника, от которого зависит доступ")
        owner = await repository.link(db, link.premise_id, link.depends_on_client_id)
        if owner is None or owner.role not in OWNER_ROLES or link.depends_on_client_id == link.client_id:
            raise InvalidInput.field("depends_on_client_id", "Это не собственник этого помещения")
    if link.role == "tenant" and link.rent_day is None:
        raise InvalidInput.field("rent_day", "Для арендатора укажите день оплаты аренды")
    if link.role != "tenant":
        link.rent_day = None


def _apply(link: PremiseLink, changes: dict, today: date) -> None:
    for name in LINK_FIELDS:
        if name in changes:
            value = changes[name]
            if name in DOCUMENT_DATES:
                rules.not_in_future(value, today, name)
            if value is None and name in ("online_payment", "keep_on_integration"):
                raise InvalidInput.field(name, "Поле не может быть пустым")
            setattr(link, name, value)


async def add_link(db: AsyncSession, actor: PartnerPrincipal, premise_id: uuid.UUID, changes: dict, *,
                   today: date) -> PremiseLink:
    premise = await get_premise(db, actor, premise_id)
    client = await own_client(db, actor, changes["client_id"], "client_id")
    if changes.get("depends_on_client_id"):
        await own_client(db, actor, changes["depends_on_client_id"], "depends_on_client_id")
    if await repository.link(db, premise.id, client.id) is not None:
        raise Conflict("Клиент уже привязан к этому помещению", code=ClientCode.ALREADY_LINKED)
    link = PremiseLink(partner_id=actor.partner_id, premise_id=premise.id, client_id=client.id, role=changes["role"],
                       depends_on_client_id=changes.get("depends_on_client_id"), online_payment=True,
                       keep_on_integration=False,
                       added_by_staff_id=actor.actor_id if actor.actor_type == "staff" else None)
    _apply(link, {k: v for k, v in changes.items() if v is not None}, today)
    await _check_role(db, link)
    db.add(link)
    await db.flush()
    return link


async def update_link(db: AsyncSession, actor: PartnerPrincipal, premise_id: uuid.UUID, client_id: uuid.UUID,
                      changes: dict, *, today: date) -> PremiseLink:
    link = await get_link(db, actor, premise_id, client_id)
    was_owner = link.role in OWNER_ROLES
    # The rules are checked on the changed link before anything reaches the database, so a
    # refused change is a clear 400 naming the field, never a constraint error.
    with db.no_autoflush:
        if "role" in changes:
            if changes["role"] is None:
                raise InvalidInput.field("role", "Поле не может быть пустым")
            link.role = changes["role"]
        if "depends_on_client_id" in changes:
            if changes["depends_on_client_id"]:
                await own_client(db, actor, changes["depends_on_client_id"], "depends_on_client_id")
            link.depends_on_client_id = changes["depends_on_client_id"]
        _apply(link, changes, today)
        await _check_role(db, link)
    if was_owner and link.role not in OWNER_ROLES:
        await _drop_dependants(db, link)
    await db.flush()
    return link


async def remove_link(db: AsyncSession, actor: PartnerPrincipal, premise_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """Removing an owner also removes the people whose access depended on them."""
    link = await get_link(db, actor, premise_id, client_id)
    await _drop_dependants(db, link)
    await db.delete(link)
    await db.flush()


async def _drop_dependants(db: AsyncSession, owner: PremiseLink) -> None:
    await db.execute(delete(PremiseLink).where(PremiseLink.premise_id == owner.premise_id,
                                               PremiseLink.depends_on_client_id == owner.client_id),
                     execution_options=scoped(partner=owner.partner_id))
