"""Premises of a partner: create, read, change, delete, search (CRM-PREM-01..03)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Integer, Text, and_, bindparam, cast, exists, func, literal, or_, select, union
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import rules
from core.errors import Conflict, InvalidInput
from core.estate.rules import address_text
from core.estate.search import escape_like, fragment_grams, parse_address_query, parse_person_query
from core.models import Client, EstateObject, PersonalAccount, Premise, PremiseLink
from core.infra.pagination import Position, keyset, page
from core.partners.service import PartnerPrincipal
from core.scope import owned
from core.clients.rules import ClientCode

PREMISE_FIELDS = ("type", "street", "house", "building", "entrance", "floor", "number", "total_area",
                  "living_area", "rooms", "online_payment", "note", "tags", "external_id")
REQUIRED = ("type", "street", "house", "number", "online_payment")
SORTS = ("address", "-address", "area", "-area")


@dataclass(slots=True)
class PremiseFilter:
    q: str | None = None
    type: str | None = None
    object_id: uuid.UUID | None = None
    object_group_id: uuid.UUID | None = None
    quarter_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    tags: list[str] = field(default_factory=list)


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


# Natural order of house and premise numbers: "5" < "5А" < "12".
def _leading_int(column):
    return func.coalesce(cast(func.substring(column, r"^\d{1,9}"), Integer), 0)


def sort_keys(sort: str) -> tuple[list, bool]:
    if sort.lstrip("-") == "area":
        keys = [func.coalesce(Premise.total_area, literal(Decimal("-1"))), Premise.id]
    else:
        keys = [func.lower(Premise.street), _leading_int(Premise.house), func.upper(Premise.house),
                _leading_int(Premise.number), func.upper(Premise.number), Premise.id]
    return keys, sort.startswith("-")


def _matching_ids(actor: PartnerPrincipal, q: str):
    """Premise ids a search box query finds: by address, personal account or client. A union of
    index-friendly selects rather than one OR, so each part uses its own index."""
    parts = []
    address = parse_address_query(q)
    if address is not None:
        conditions = [Premise.partner_id == actor.partner_id]
        if address.street:
            conditions.append(func.lower(Premise.street).like(prefix_pattern(address.street)))
        if address.house:
            conditions.append(func.upper(Premise.house) == address.house)
        if address.number:
            conditions.append(func.upper(Premise.number) == address.number)
        parts.append(select(Premise.id).where(*conditions))
    text = q.strip()
    if text:
        parts.append(select(PersonalAccount.premise_id).where(PersonalAccount.partner_id == actor.partner_id,
                                                             PersonalAccount.number == text))
    # "Павлова 5 12" is an address; only a query of words alone may also be a client's name.
    is_full_address = address is not None and address.street and (address.house or address.number)
    person = None if is_full_address else client_condition(actor, text)
    if person is not None:
        parts.append(select(PremiseLink.premise_id).join(Client, Client.id == PremiseLink.client_id).where(person))
    return union(*parts) if len(parts) > 1 else parts[0]


def prefix_pattern(value: str) -> str:
    return escape_like(value) + "%"


def client_condition(actor: PartnerPrincipal, q: str):
    """CRM-CLI-01: clients of the partner whose names start with every word of the query, or whose
    phone contains its digits. Works on masked fields too, without revealing them."""
    person = parse_person_query(q)
    conditions = []
    if person.name_tokens:
        conditions.append(and_(*[
            or_(func.lower(Client.last_name).like(prefix_pattern(t)), func.lower(Client.first_name).like(prefix_pattern(t)),
                func.lower(Client.middle_name).like(prefix_pattern(t)))
            for t in person.name_tokens
        ]))
    for fragment in person.phone_fragments:
        if len(fragment) == 11:
            conditions.append(Client.phone == "+" + fragment)
        else:
            conditions.append(phone_contains(fragment))
    if not conditions:
        return None
    return and_(Client.partner_id == actor.partner_id, or_(*conditions))


def phone_contains(digits: str):
    """Cards whose phone contains `digits` (3 or more): the n-gram index (ix_client_phone_grams)
    finds the candidates on any PostgreSQL, the LIKE keeps the answer exact. Both are rendered into
    the statement (digits only): with bound values a cached generic plan may read every card of
    the partner instead of the index."""
    grams = bindparam("grams", fragment_grams(digits), type_=ARRAY(Text), literal_execute=True, unique=True)
    pattern = bindparam("fragment", f"%{digits}%", literal_execute=True, unique=True)
    return and_(func.search_grams(Client.phone).op("@>")(grams), Client.phone.like(pattern))


async def list_premises(db: AsyncSession, actor: PartnerPrincipal, flt: PremiseFilter, *, sort: str,
                        cursor: Position | None, limit: int) -> tuple[list, Position | None]:
    keys, descending = sort_keys(sort)
    stmt = (select(Premise, EstateObject.name.label("object_name"), EstateObject.online_payment.label("object_pay"),
                   *[k.label(f"k{i}") for i, k in enumerate(keys)])
            .join(EstateObject, EstateObject.id == Premise.object_id)
            .where(Premise.partner_id == actor.partner_id))
    if flt.q and flt.q.strip():
        stmt = stmt.where(Premise.id.in_(_matching_ids(actor, flt.q)))
    if flt.type:
        stmt = stmt.where(Premise.type == flt.type)
    if flt.object_id:
        stmt = stmt.where(Premise.object_id == flt.object_id)
    if flt.object_group_id:
        stmt = stmt.where(EstateObject.object_group_id == flt.object_group_id)
    if flt.quarter_id:
        stmt = stmt.where(EstateObject.quarter_id == flt.quarter_id)
    if flt.client_id:
        stmt = stmt.where(exists().where(PremiseLink.premise_id == Premise.id, PremiseLink.client_id == flt.client_id))
    if flt.tags:
        stmt = stmt.where(Premise.tags.contains(flt.tags))
    rows = (await db.execute(keyset(stmt, keys, cursor=cursor, limit=limit, descending=descending))).all()
    return page(rows, limit, lambda r: [getattr(r, f"k{i}") for i in range(len(keys))])


def full_address(premise: Premise) -> str:
    return address_text(type=premise.type, street=premise.street, house=premise.house, building=premise.building,
                        number=premise.number)
