"""Bodies of the data feeds (API.md): bills and bill batches, notifications with their deep links
(PUSH-04), insurance, meters and readings, developer lots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from msgspec import Meta, field

from web.schemas import Id, Input, LongText, Output

Money = Annotated[str, Meta(pattern=r"^\d{1,10}(\.\d{1,2})?$", description='a string with two decimals: "1520.00"')]
Period = Annotated[str, Meta(pattern=r"^\d{4}-\d{2}(-\d{2})?$", description="the month: YYYY-MM or YYYY-MM-DD")]
ExternalId = Annotated[str, Meta(min_length=1, max_length=200)]
Text100 = Annotated[str, Meta(min_length=1, max_length=100)]
Text300 = Annotated[str, Meta(min_length=1, max_length=300)]
NotificationType = Literal["requests", "bills", "news", "events", "marketplace", "people", "rent", "meters",
                           "passes", "polls", "mailings", "chat"]
# The app's deep links (PUSH-04); anything else would open nothing, so it is refused up front.
DeepLink = Annotated[str, Meta(max_length=500, pattern=r"^app://(people\?premise_id=[0-9a-fA-F-]+|orders/[^/?#\s]+|"
                                                      r"notifications/[^/?#\s]+|premises/[^/?#\s]+)$")]
LotStage = Literal["booking", "deal", "acceptance"]


class UpsertBillRequest(Input, kw_only=True):
    personal_account_id: Id
    period: Period
    amount_due: Money
    paid: Money | None = None
    # Who paid and when, if the feed knows: the payment goes into that client's activity.
    client_id: Id | None = None
    paid_at: Annotated[datetime, Meta(tz=True)] | None = None


class BillItem(Input, kw_only=True):
    """One bill of a batch: its personal account by our id or by the partner's external id."""

    personal_account_id: Id | None = None
    personal_account_external_id: ExternalId | None = None
    period: Period
    amount_due: Money
    paid: Money | None = None
    client_id: Id | None = None
    paid_at: Annotated[datetime, Meta(tz=True)] | None = None


MAX_BILLS = 1000


class BillBatchRequest(Input, kw_only=True):
    items: Annotated[list[dict[str, Any]], Meta(min_length=1, max_length=MAX_BILLS)]


class BillResult(Output, kw_only=True, omit_defaults=True):
    index: int
    status: Literal["created", "updated", "error"]
    id: str | None = None
    personal_account_id: str | None = None
    code: str | None = None
    detail: str | None = None
    field: str | None = None


class BillBatchAnswer(Output, kw_only=True):
    results: list[BillResult]


class BillCard(Output, kw_only=True):
    id: str
    personal_account_id: str
    period: date
    amount_due: str
    paid: str
    created: bool


class SendNotificationRequest(Input, kw_only=True):
    client_id: Id
    premise_id: Id | None = None
    type: NotificationType
    title: Text300
    body: LongText
    deep_link: DeepLink | None = None


class UpsertInsuranceRequest(Input, kw_only=True):
    # The premise by our id or by the partner's external id (exactly one).
    premise_id: Id | None = None
    premise_external_id: ExternalId | None = None
    policy_number: Text100
    insurer: Text300
    starts_on: date
    ends_on: date
    external_id: ExternalId | None = None


class UpsertMeterRequest(Input, kw_only=True):
    # The premise by our id or by the partner's external id (exactly one).
    premise_id: Id | None = None
    premise_external_id: ExternalId | None = None
    kind: Annotated[str, Meta(min_length=1, max_length=50)]
    serial_number: Text100 | None = None
    external_id: ExternalId | None = None


class AddMeterReadingRequest(Input, kw_only=True):
    meter_id: Id
    value: Annotated[str, Meta(pattern=r"^\d{1,11}(\.\d{1,3})?$", description='the reading: "1234.567"')]
    taken_at: Annotated[datetime, Meta(tz=True)]
    personal_account_id: Id | None = None
    # Who sent the reading, if the feed knows: it goes into that client's activity.
    client_id: Id | None = None


class UpsertLotRequest(Input, kw_only=True):
    object_id: Id
    premise_id: Id | None = None
    client_id: Id
    stage: LotStage
    title: Text300
    characteristics: dict[str, Any] = field(default_factory=dict)
    price: Money | None = None
    external_id: ExternalId | None = None


class Upserted(Output, kw_only=True):
    id: str
    created: bool
