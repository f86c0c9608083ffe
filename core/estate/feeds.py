"""Data feeds from the partner's other products (API.md): bills, insurance policies, meters, meter
readings and developer lots.

Each write is an upsert, so an integration can resend the same item safely. A payment (a bill's
`paid` grows) and a new reading are what the client and the premise took part in: they go into the
activity feed (CRM-ACT-01) once, however often they are resent."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.estate import repository
from core.models import (Activity, Bill, Client, EstateObject, Insurance, Lot, Meter, MeterReading, PersonalAccount,
                         Premise)
from core.money import format_money
from core.partners.service import PartnerPrincipal
from core.scope import owned


async def upsert_bill(db: AsyncSession, actor: PartnerPrincipal, *, personal_account_id: uuid.UUID, period: date,
                      amount_due: Decimal, paid: Decimal | None, client_id: uuid.UUID | None = None,
                      paid_at: datetime | None = None, now: datetime | None = None) -> tuple[Bill, bool]:
    """One bill per personal account and month; the period is kept as the month's first day. A
    payment (more paid than before) is recorded in the activity of the premise and of the client
    who paid (`client_id`, when the feed knows who)."""
    account = await owned(db, actor, PersonalAccount, personal_account_id, field="personal_account_id")
    payer = await _client(db, actor, client_id)
    period = period.replace(day=1)
    bill = await repository.bill_for_update(db, personal_account_id, period)
    created = bill is None
    before = Decimal("0.00") if created else bill.paid
    if created:
        bill = Bill(partner_id=account.partner_id, personal_account_id=personal_account_id, period=period,
                    paid=Decimal("0.00"))
        db.add(bill)
    bill.amount_due = amount_due
    if paid is not None:
        bill.paid = paid
    await db.flush()
    if paid is not None and paid > before:
        db.add(Activity(partner_id=actor.partner_id, premise_id=account.premise_id, client_id=payer,
                        type="bill_payment", subject=payment_subject(paid - before, account.number, period),
                        status=None, occurred_at=paid_at or now or func.now()))
        await db.flush()
    return bill, created


async def id_by_external_id(db: AsyncSession, actor: PartnerPrincipal, model, external_id: str, *, field: str,
                            missing: str) -> uuid.UUID:
    """IMPORT-07: the id of the partner's row of `model` (a premise, a personal account) with this
    external id; 400 naming `field` when there is none."""
    found = await repository.id_by_external_id(db, model, actor.partner_id, external_id)
    if found is None:
        raise InvalidInput.field(field, missing)
    return found


def payment_subject(amount: Decimal, account_number: str, period: date) -> str:
    return f"Оплата {format_money(amount)} ₽ по лицевому счёту {account_number} за {period:%m.%Y}"


def reading_subject(meter: Meter, value: Decimal) -> str:
    serial = f" № {meter.serial_number}" if meter.serial_number else ""
    return f"Показания счётчика «{meter.kind}»{serial}: {value.normalize():f}"


async def _client(db: AsyncSession, actor: PartnerPrincipal, client_id: uuid.UUID | None) -> uuid.UUID | None:
    if client_id is None:
        return None
    return (await owned(db, actor, Client, client_id, field="client_id")).id


async def add_reading(db: AsyncSession, actor: PartnerPrincipal, *, meter_id: uuid.UUID, value: Decimal,
                      taken_at: datetime, personal_account_id: uuid.UUID | None = None,
                      client_id: uuid.UUID | None = None) -> tuple[MeterReading, bool]:
    """A meter reading, one per meter and moment (resending it corrects the value); a new one is
    recorded in the activity of the premise and of the client who sent it (`client_id`)."""
    meter = await owned(db, actor, Meter, meter_id, field="meter_id")
    if personal_account_id is not None:
        account = await owned(db, actor, PersonalAccount, personal_account_id, field="personal_account_id")
        if account.premise_id != meter.premise_id:
            raise InvalidInput.field("personal_account_id", "Лицевой счёт другого помещения")
    sender = await _client(db, actor, client_id)
    reading = await repository.reading_for_update(db, meter.id, taken_at)
    created = reading is None
    if created:
        reading = MeterReading(meter_id=meter.id, taken_at=taken_at)
        db.add(reading)
    reading.value = value
    reading.personal_account_id = personal_account_id
    await db.flush()
    if created:
        db.add(Activity(partner_id=actor.partner_id, premise_id=meter.premise_id, client_id=sender,
                        type="meter_reading", subject=reading_subject(meter, value), status=None,
                        occurred_at=taken_at))
        await db.flush()
    return reading, created


async def _by_external_id(db: AsyncSession, actor: PartnerPrincipal, model, external_id: str | None):
    if external_id is None:
        return None
    return await repository.by_external_id_for_update(db, model, actor.partner_id, external_id)


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
