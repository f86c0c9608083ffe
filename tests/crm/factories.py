"""Rows arranged straight through the ORM, for the data the tests of other routes need."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Client, EstateObject, PersonalAccount, Premise, PremiseLink

_seq = itertools.count(1)


def uid(value: str | uuid.UUID) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


async def estate_object(db: AsyncSession, partner_id, *, name: str = "ЖК Солнечный",
                        brand_id: uuid.UUID | None = None) -> EstateObject:
    obj = EstateObject(partner_id=uid(partner_id), name=name, address="г. Москва, ул. Ленина, 5", brand_id=brand_id)
    db.add(obj)
    await db.flush()
    return obj


async def premise(db: AsyncSession, partner_id, *, number: str | None = None,
                  object_id: uuid.UUID | None = None) -> Premise:
    if object_id is None:
        object_id = (await estate_object(db, partner_id)).id
    row = Premise(partner_id=uid(partner_id), object_id=object_id, type="apartment", street="Ленина", house="5",
                  number=number or str(next(_seq)))
    db.add(row)
    await db.flush()
    return row


def phone() -> str:
    return f"+7999{next(_seq):07d}"


async def client(db: AsyncSession, partner_id, *, phone_number: str | None = None, last_name: str = "Иванов",
                 first_name: str = "Иван", middle_name: str | None = "Иванович") -> Client:
    row = Client(partner_id=uid(partner_id), phone=phone_number or phone(), last_name=last_name,
                 first_name=first_name, middle_name=middle_name)
    db.add(row)
    await db.flush()
    return row


async def link(db: AsyncSession, premise_row: Premise, client_row: Client, *, role: str = "owner",
               depends_on: Client | None = None) -> PremiseLink:
    row = PremiseLink(partner_id=premise_row.partner_id, premise_id=premise_row.id, client_id=client_row.id,
                      role=role, depends_on_client_id=depends_on.id if depends_on else None)
    db.add(row)
    await db.flush()
    return row


async def personal_account(db: AsyncSession, premise_row: Premise, *, number: str = "100200300") -> PersonalAccount:
    row = PersonalAccount(partner_id=premise_row.partner_id, premise_id=premise_row.id, number=number)
    db.add(row)
    await db.flush()
    return row
