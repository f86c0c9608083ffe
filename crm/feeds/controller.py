"""Data feeds from the partner's other products (API.md): bills, notifications, insurance, meters
and developer lots.

Integrations hold every permission; staff need the one SPEC section 7 ties to the data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import msgspec
from litestar import Controller, post
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError, InvalidInput
from core.estate import feeds
from core.models import PersonalAccount, Premise
from core.money import format_money, parse_money
from core.notifications.service import send_to_client
from core.partners.service import PartnerPrincipal
from core.infra.runtime import Runtime
from crm.feeds.schemas import (AddMeterReadingRequest, BillBatchAnswer, BillBatchRequest, BillCard, BillItem,
                               BillResult, SendNotificationRequest, UpsertBillRequest, UpsertInsuranceRequest,
                               UpsertLotRequest, UpsertMeterRequest, Upserted)
from web.deps import PARTNER, PARTNER_SECURITY
from web.ids import parse_id
from web.problems import problems
from web.schemas import Created

EDIT_PREMISES = {"permission": "premises.edit"}


def parse_period(value: str) -> date:
    try:
        return date.fromisoformat(value if len(value) > 7 else f"{value}-01")
    except ValueError:
        raise InvalidInput.field("period", "Некорректный период: ожидается YYYY-MM или YYYY-MM-DD") from None


def ids_of(data, *names: str) -> dict:
    """The body's fields with the named ids parsed to UUIDs (400 naming a malformed one)."""
    fields = {name: getattr(data, name) for name in data.__struct_fields__}
    for name in names:
        if fields[name] is not None:
            fields[name] = parse_id(fields[name], name)
    return fields


async def _of_premise(db: AsyncSession, actor: PartnerPrincipal, data) -> dict:
    """The body's fields with its premise as our id, given as `premise_id` or as the partner's
    `premise_external_id` (exactly one)."""
    fields = ids_of(data, "premise_id")
    external = fields.pop("premise_external_id")
    if (fields["premise_id"] is None) == (external is None):
        raise InvalidInput.field("premise_id", "Укажите помещение: premise_id или premise_external_id")
    if external is not None:
        fields["premise_id"] = await feeds.id_by_external_id(db, actor, Premise, external, field="premise_external_id",
                                                             missing="Помещение с таким внешним ID не найдено")
    return fields


def _convert(raw: Any, kind: type):
    """`raw` as `kind`, or 400 naming the field that does not fit."""
    try:
        return msgspec.convert(raw, kind)
    except msgspec.ValidationError as exc:
        message = str(exc)
        field_name = message.rsplit("$.", 1)[-1].rstrip("`") if "$." in message else "body"
        raise InvalidInput.field(field_name, message.split(" - ")[0]) from None


def _bill_card(bill, created: bool) -> BillCard:
    return BillCard(id=str(bill.id), personal_account_id=str(bill.personal_account_id), period=bill.period,
                    amount_due=format_money(bill.amount_due), paid=format_money(bill.paid), created=created)


async def _upsert_bill(db: AsyncSession, actor: PartnerPrincipal, runtime: Runtime, item: BillItem):
    if (item.personal_account_id is None) == (item.personal_account_external_id is None):
        raise InvalidInput.field("personal_account_id",
                                 "Укажите лицевой счёт: personal_account_id или personal_account_external_id")
    account_id = (parse_id(item.personal_account_id, "personal_account_id") if item.personal_account_id
                  else await feeds.id_by_external_id(db, actor, PersonalAccount, item.personal_account_external_id,
                                                     field="personal_account_external_id",
                                                     missing="Лицевой счёт с таким внешним ID не найден"))
    return await feeds.upsert_bill(
        db, actor, personal_account_id=account_id, period=parse_period(item.period),
        amount_due=parse_money(item.amount_due, "amount_due"), paid=parse_money(item.paid, "paid"),
        client_id=parse_id(item.client_id, "client_id") if item.client_id else None,
        paid_at=item.paid_at, now=runtime.clock.now())


async def _bill_result(db: AsyncSession, actor: PartnerPrincipal, runtime: Runtime, index: int, raw: Any) -> BillResult:
    """One item of a batch in a savepoint of its own: its failure undoes it alone."""
    try:
        item = _convert(raw, BillItem)
        async with db.begin_nested():
            bill, created = await _upsert_bill(db, actor, runtime, item)
    except DomainError as exc:
        errors = getattr(exc, "errors", [])
        return BillResult(index=index, status="error", code=exc.code, detail=exc.detail,
                          field=errors[0].field if errors else None)
    except sa_exc.IntegrityError:
        return BillResult(index=index, status="error", code="conflict",
                          detail="Данные изменились одновременно с запросом; повторите этот счёт")
    return BillResult(index=index, status="created" if created else "updated", id=str(bill.id),
                      personal_account_id=str(bill.personal_account_id))


class FeedController(Controller):
    path = "/crm/v1"
    tags = ["CRM: data feeds"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @post("/bills", operation_id="UpsertBill", opt=EDIT_PREMISES, responses=problems())
    async def upsert_bill(self, actor: PartnerPrincipal, data: dict[str, Any], db: AsyncSession,
                          runtime: Runtime) -> BillCard | BillBatchAnswer:
        """A bill per personal account and month; a payment (more `paid` than before) goes into the
        activity of the premise and of `client_id`. `{items: [...]}` (up to 1,000) sends a month's
        bills at once, each addressing its personal account by our id or by the partner's
        `personal_account_external_id`, each with its own result: a bad item never affects the
        others."""
        if "items" in data:
            batch = _convert(data, BillBatchRequest)
            return BillBatchAnswer(results=[await _bill_result(db, actor, runtime, index, raw)
                                            for index, raw in enumerate(batch.items)])
        single = _convert(data, UpsertBillRequest)
        bill, created = await _upsert_bill(db, actor, runtime, msgspec.convert(
            msgspec.to_builtins(single), BillItem))
        return _bill_card(bill, created)

    @post("/notifications", operation_id="SendNotification", opt={"permission": "mailings.send"},
          responses=problems())
    async def send_notification(self, actor: PartnerPrincipal, data: SendNotificationRequest, db: AsyncSession,
                                runtime: Runtime) -> Created:
        """PUSH-04: an inbox item for the client's account and a push to its devices (needs `mailings.send`)."""
        item = await send_to_client(
            db, actor, runtime.clock, client_id=parse_id(data.client_id, "client_id"),
            premise_id=parse_id(data.premise_id, "premise_id") if data.premise_id else None, type=data.type,
            title=data.title, body=data.body, deep_link=data.deep_link)
        return Created(id=str(item.id))

    @post("/insurance", operation_id="UpsertInsurance", opt=EDIT_PREMISES, responses=problems())
    async def upsert_insurance(self, actor: PartnerPrincipal, data: UpsertInsuranceRequest,
                               db: AsyncSession) -> Upserted:
        """APP-PREM-06: an insurance policy of a premise (only from the integration API), upserted by its
        external id."""
        row, created = await feeds.upsert_insurance(db, actor, await _of_premise(db, actor, data))
        return Upserted(id=str(row.id), created=created)

    @post("/meters", operation_id="UpsertMeter", opt=EDIT_PREMISES, responses=problems())
    async def upsert_meter(self, actor: PartnerPrincipal, data: UpsertMeterRequest, db: AsyncSession) -> Upserted:
        """APP-PREM-06: a meter of a premise, upserted by its external id."""
        row, created = await feeds.upsert_meter(db, actor, await _of_premise(db, actor, data))
        return Upserted(id=str(row.id), created=created)

    @post("/meter-readings", operation_id="AddMeterReading", opt=EDIT_PREMISES, responses=problems())
    async def add_meter_reading(self, actor: PartnerPrincipal, data: AddMeterReadingRequest,
                                db: AsyncSession) -> Upserted:
        """A meter reading (one per meter and moment); a new one goes into the activity of the
        premise and of `client_id`."""
        row, created = await feeds.add_reading(
            db, actor, meter_id=parse_id(data.meter_id, "meter_id"), value=Decimal(data.value),
            taken_at=data.taken_at,
            personal_account_id=parse_id(data.personal_account_id, "personal_account_id")
            if data.personal_account_id else None,
            client_id=parse_id(data.client_id, "client_id") if data.client_id else None)
        return Upserted(id=str(row.id), created=created)

    @post("/lots", operation_id="UpsertLot", opt=EDIT_PREMISES, responses=problems())
    async def upsert_lot(self, actor: PartnerPrincipal, data: UpsertLotRequest, db: AsyncSession) -> Upserted:
        """APP-PURCH-01: a developer's lot (booking, deal or acceptance stage) of a client, upserted by its
        external id."""
        fields = ids_of(data, "object_id", "premise_id", "client_id")
        fields["price"] = parse_money(data.price, "price")
        row, created = await feeds.upsert_lot(db, actor, fields)
        return Upserted(id=str(row.id), created=created)
