"""Premises of a partner: create, read, change, delete (CRM-PREM-01..03); their search is in repository.py."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import rules
from core.errors import Conflict, InvalidInput
from core.estate.rules import address_text
from core.models import EstateObject, Premise
from core.partners.service import PartnerPrincipal
from core.scope import owned
from core.clients.rules import ClientCode

PREMISE_FIELDS = ("type", "street", "house", "building", "entrance", "floor", "number", "total_area",
                  "living_area", "rooms", "online_payment", "note", "tags", "external_id")
REQUIRED = ("type", "street", "house", "number", "online_payment")


async def get_premise(db: AsyncSession, actor: PartnerPrincipal, premise_id: uuid.UUID) -> Premise:
    return await owned(db, actor, Premise, premise_id, not_found="Помещение не найдено")


async def own_object(db: AsyncSession, actor: PartnerPrincipal, object_id: uuid.UUID, field_name: str) -> EstateObject:
    return await owned(db, actor, EstateObject, object_id, field=field_name,
                       field_message="Объект не найден у этого партнёра")


def apply_fields(premise: Premise, changes: dict) -> None:
    for name in PREMISE_FIELDS:
        if name not in changes:
            continue
        value = changes[name]
        if value is None and name in REQUIRED:
            raise InvalidInput.field(name, "Поле не может быть пустым")
        if name == "floor" and value is None:
            value = 0  # CRM-PREM-02: an empty floor saves as 0
        if name in ("house", "number", "street") and isinstance(value, str):
            value = value.strip()
        if name == "tags":
            value = sorted({t.strip() for t in value or [] if t.strip()})
        setattr(premise, name, value)
    rules.areas(premise.total_area, premise.living_area)


async def create_premise(db: AsyncSession, actor: PartnerPrincipal, changes: dict) -> Premise:
    obj = await own_object(db, actor, changes["object_id"], "object_id")
    premise = Premise(partner_id=actor.partner_id, object_id=obj.id, floor=0, online_payment=True, tags=[])
    apply_fields(premise, {k: v for k, v in changes.items() if not (k == "online_payment" and v is None)})
    db.add(premise)
    await _flush_unique(db)
    return premise


async def update_premise(db: AsyncSession, actor: PartnerPrincipal, premise_id: uuid.UUID, changes: dict) -> Premise:
    premise = await get_premise(db, actor, premise_id)
    if "object_id" in changes:
        premise.object_id = (await own_object(db, actor, changes["object_id"], "object_id")).id
    apply_fields(premise, changes)
    await _flush_unique(db)
    return premise


async def _flush_unique(db: AsyncSession) -> None:
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError as exc:
        if "external_id" in str(exc.orig):
            raise Conflict("Помещение с таким внешним идентификатором уже есть", code=ClientCode.EXTERNAL_ID_TAKEN) from None
        raise


async def delete_premise(db: AsyncSession, actor: PartnerPrincipal, premise_id: uuid.UUID) -> None:
    """CRM-PREM-03: personal accounts and their bills go with it (database cascades); residents
    lose it at once, since the app reads premises through their links."""
    premise = await get_premise(db, actor, premise_id)
    await db.delete(premise)
    await db.flush()


def effective_online_payment(premise_switch: bool, object_switch: bool) -> bool:
    """CRM-PREM-02: online payment works only where both the premise and its object allow it."""
    return premise_switch and object_switch


def full_address(premise: Premise) -> str:
    return address_text(type=premise.type, street=premise.street, house=premise.house, building=premise.building,
                        number=premise.number)
