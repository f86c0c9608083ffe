"""Data feeds from the partner's other products (API.md): bills, insurance policies, meters and
developer lots. Each write is an upsert, so an integration can resend the same item safely."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.models import Bill, Client, EstateObject, Insurance, Lot, Meter, PersonalAccount, Premise
from core.partners.service import PartnerPrincipal
from core.scope import owned


async def upsert_bill(db: AsyncSession, actor: PartnerPrincipal, *, personal_account_id: uuid.UUID, period: date,
                      amount_due: Decimal, paid: Decimal | None) -> tuple[Bill, bool]:
    """One bill per personal account and month; the period is kept as the month's first day."""
    account = await owned(db, actor, PersonalAccount, personal_account_id, field="personal_account_id")
    period = period.replace(day=1)
    bill = await db.scalar(select(Bill).where(Bill.personal_account_id == personal_account_id,
                                              Bill.period == period).with_for_update())
    created = bill is None
    if created:
        bill = Bill(partner_id=account.partner_id, personal_account_id=personal_account_id, period=period,
                    paid=Decimal("0.00"))
        db.add(bill)
    bill.amount_due = amount_due
    if paid is not None:
        bill.paid = paid
    await db.flush()
    return bill, created


async def _by_external_id(db: AsyncSession, actor: PartnerPrincipal, model, external_id: str | None):
    if external_id is None:
        return None
    return await db.scalar(select(model).where(model.partner_id == actor.partner_id,
                                               model.external_id == external_id).with_for_update())


async def upsert_insurance(db: AsyncSession, actor: PartnerPrincipal, fields: dict) -> tuple[Insurance, bool]:
    await owned(db, actor, Premise, fields["premise_id"], field="premise_id")
    if fields["ends_on"] < fields["starts_on"]:
        raise InvalidInput.field("ends_on", "Дата окончания раньше даты начала")
    return await _upsert(db, actor, Insurance, fields)


async def upsert_meter(db: AsyncSession, actor: PartnerPrincipal, fields: dict) -> tuple[Meter, bool]:
    await owned(db, actor, Premise, fields["premise_id"], field="premise_id")
    return await _upsert(db, actor, Meter, fields)


async def upsert_lot(db: AsyncSession, actor: PartnerPrincipal, fields: dict) -> tuple[Lot, bool]:
    """A developer's lot; resending it with another stage moves it (booking → deal → acceptance)."""
    await owned(db, actor, EstateObject, fields["object_id"], field="object_id")
    await owned(db, actor, Client, fields["client_id"], field="client_id")
    if fields.get("premise_id") is not None:
        premise = await owned(db, actor, Premise, fields["premise_id"], field="premise_id")
        if premise.object_id != fields["object_id"]:
            raise InvalidInput.field("premise_id", "Помещение относится к другому объекту")
    return await _upsert(db, actor, Lot, fields)


async def _upsert(db: AsyncSession, actor: PartnerPrincipal, model, fields: dict):
    row = await _by_external_id(db, actor, model, fields.get("external_id"))
    created = row is None
    if created:
        row = model(partner_id=actor.partner_id)
        db.add(row)
    for name, value in fields.items():
        setattr(row, name, value)
    await db.flush()
    return row, created
