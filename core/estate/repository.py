"""Read queries of objects, premises, their personal accounts and the clients linked to them."""

from __future__ import annotations

import uuid

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (Integer, Row, Text, and_, bindparam, cast, exists, func, literal, or_, select,
                        union)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from core.estate.search import (contains_pattern, escape_like, fragment_grams, parse_address_query,
                                parse_person_query)
from core.infra.pagination import Position, by_creation, keyset, page
from core.models import (Account, Bill, Client, Document, EstateObject, MeterReading, Partner, PersonalAccount,
                         Premise, PremiseLink)
from core.partners.service import PartnerPrincipal

@dataclass(slots=True)
class PremiseFilter:
    q: str | None = None
    type: str | None = None
    object_id: uuid.UUID | None = None
    object_group_id: uuid.UUID | None = None
    quarter_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    tags: list[str] = field(default_factory=list)


def premise_brand():
    """core.estate.rules.premise_brand as an expression over EstateObject and Partner."""
    return func.coalesce(EstateObject.brand_id, Partner.default_brand_id)


async def estate_object(db: AsyncSession, object_id: uuid.UUID) -> EstateObject | None:
    return await db.get(EstateObject, object_id)


async def object_partner(db: AsyncSession, object_id: uuid.UUID) -> uuid.UUID | None:
    return await db.scalar(select(EstateObject.partner_id).where(EstateObject.id == object_id))


async def brand_of_premise(db: AsyncSession, premise_id: uuid.UUID) -> Row | None:
    """(brand_id,) of the premise (core.estate.rules.premise_brand); None: no such premise."""
    return (await db.execute(select(premise_brand().label("brand_id")).select_from(Premise)
                             .join(EstateObject, EstateObject.id == Premise.object_id)
                             .join(Partner, Partner.id == Premise.partner_id).where(Premise.id == premise_id))).first()


async def premise_links(db: AsyncSession, premise_id: uuid.UUID) -> list[Row]:
    """(PremiseLink, Client) of every client linked to the premise, in the order they were linked."""
    return await links_of_premises(db, [premise_id])


async def links_of_premises(db: AsyncSession, premise_ids: list[uuid.UUID]) -> list[Row]:
    """(PremiseLink, Client) of every client linked to the premises, in the order they were linked."""
    return list((await db.execute(select(PremiseLink, Client).join(Client, Client.id == PremiseLink.client_id)
                                  .where(PremiseLink.premise_id.in_(premise_ids))
                                  .order_by(PremiseLink.linked_at, PremiseLink.id))).all())


async def links_of_premise(db: AsyncSession, premise_id: uuid.UUID) -> list[PremiseLink]:
    """The premise's links, in no particular order."""
    return list((await db.scalars(select(PremiseLink).where(PremiseLink.premise_id == premise_id))).all())


async def linked_clients(db: AsyncSession, premise_ids: list[uuid.UUID]) -> list[Row]:
    """(premise_id, role, Client) of every client linked to the premises, in the order they were linked."""
    return list((await db.execute(select(PremiseLink.premise_id, PremiseLink.role, Client)
                                  .join(Client, Client.id == PremiseLink.client_id)
                                  .where(PremiseLink.premise_id.in_(premise_ids))
                                  .order_by(PremiseLink.linked_at))).all())


async def has_premises(db: AsyncSession, object_id: uuid.UUID) -> bool:
    return bool(await db.scalar(select(exists().where(Premise.object_id == object_id))))


async def objects(db: AsyncSession, partner_id: uuid.UUID, *, q: str | None, cursor: Position | None,
                  limit: int) -> tuple[list[EstateObject], Position | None]:
    """The partner's objects by name; the search looks at the name and the address."""
    stmt = select(EstateObject).where(EstateObject.partner_id == partner_id)
    if q:
        pattern = f"%{q.strip().lower()}%"
        stmt = stmt.where(func.lower(EstateObject.name).like(pattern) | func.lower(EstateObject.address).like(pattern))
    keys = [func.lower(EstateObject.name), EstateObject.id]
    rows = (await db.scalars(keyset(stmt, keys, cursor=cursor, limit=limit))).all()
    return page(rows, limit, lambda o: (o.name.lower(), o.id))


async def groups(db: AsyncSession, partner_id: uuid.UUID, model) -> list:
    """The partner's object groups or quarters, by name."""
    return list((await db.scalars(select(model).where(model.partner_id == partner_id)
                                  .order_by(model.name, model.id))).all())


async def accounts_of(db: AsyncSession, premise_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[PersonalAccount]]:
    result: dict[uuid.UUID, list[PersonalAccount]] = {}
    if premise_ids:
        rows = await db.scalars(select(PersonalAccount).where(PersonalAccount.premise_id.in_(premise_ids))
                                .order_by(PersonalAccount.number, PersonalAccount.id))
        for account in rows:
            result.setdefault(account.premise_id, []).append(account)
    return result


async def resident_document(db: AsyncSession, account_id: uuid.UUID, document_id: uuid.UUID) -> Document | None:
    """A public document of a premise the account is linked to through one of its cards."""
    linked = (select(PremiseLink.id).join(Client, Client.id == PremiseLink.client_id)
              .join(Account, Account.phone == Client.phone)
              .where(Account.id == account_id, PremiseLink.premise_id == Document.premise_id))
    return await db.scalar(select(Document).where(Document.id == document_id, Document.is_public, linked.exists()))


async def documents(db: AsyncSession, partner_id: uuid.UUID, premise_id: uuid.UUID, *, q: str | None,
                    cursor: Position | None, limit: int) -> tuple[list[Document], Position | None]:
    stmt = select(Document).where(Document.partner_id == partner_id, Document.premise_id == premise_id)
    if q and q.strip():
        pattern = contains_pattern(q.strip().lower())
        stmt = stmt.where(or_(func.lower(Document.name).like(pattern, escape="\\"),
                              func.lower(func.coalesce(Document.description, "")).like(pattern, escape="\\")))
    return await by_creation(db, stmt, Document, cursor=cursor, limit=limit, newest_first=True)


async def bill_for_update(db: AsyncSession, personal_account_id: uuid.UUID, period: date) -> Bill | None:
    return await db.scalar(select(Bill).where(Bill.personal_account_id == personal_account_id,
                                              Bill.period == period).with_for_update())


async def reading_for_update(db: AsyncSession, meter_id: uuid.UUID, taken_at: datetime) -> MeterReading | None:
    return await db.scalar(select(MeterReading).where(MeterReading.meter_id == meter_id,
                                                      MeterReading.taken_at == taken_at).with_for_update())


async def id_by_external_id(db: AsyncSession, model, partner_id: uuid.UUID, external_id: str) -> uuid.UUID | None:
    """The id of the partner's row of `model` with this external id."""
    return await db.scalar(select(model.id).where(model.partner_id == partner_id, model.external_id == external_id))


def _by_external_id(model, partner_id: uuid.UUID, external_id: str):
    return select(model).where(model.partner_id == partner_id, model.external_id == external_id)


async def by_external_id(db: AsyncSession, model, partner_id: uuid.UUID, external_id: str):
    """The partner's row of `model` (a premise, a personal account, ...) with this external id."""
    return await db.scalar(_by_external_id(model, partner_id, external_id))


async def by_external_id_for_update(db: AsyncSession, model, partner_id: uuid.UUID, external_id: str):
    return await db.scalar(_by_external_id(model, partner_id, external_id).with_for_update())


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
