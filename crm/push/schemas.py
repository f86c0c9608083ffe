"""Request and answer Structs of the staff's push, mailing and monitor endpoints (API.md)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from web.schemas import Input, Output


class SessionItem(Output, kw_only=True):
    session_id: str
    device_name: str
    platform: str
    model: str | None
    app_version: str | None
    os_version: str | None
    created_at: str
    last_activity_at: str
    os_notifications_enabled: bool | None
    settings_changed_at: str | None
    notification_types: dict[str, bool] | None
    notification_types_changed_at: dict[str, str] | None
    has_push_token: bool


class SessionList(Output, kw_only=True):
    items: list[SessionItem]


class DeliveryItem(Output, kw_only=True):
    id: str
    session_id: str
    notification_id: str
    type: str
    title: str
    body: str
    deep_link: str | None
    brand: str | None
    premise_id: str | None
    mailing_id: str | None
    data: dict[str, str]
    status: str
    attempts: int
    resends: int
    error: str | None
    created_at: str
    sent_at: str | None


class DeliveryList(Output, kw_only=True):
    items: list[DeliveryItem]
    next_cursor: str | None


class MailingFilterBody(Input, kw_only=True):
    client_ids: list[Annotated[str, Meta(max_length=64)]] | None = None
    tags: list[Annotated[str, Meta(max_length=100)]] | None = None
    object_id: Annotated[str, Meta(max_length=64)] | None = None
    object_ids: list[Annotated[str, Meta(max_length=64)]] | None = None
    premise_types: list[str] | None = None
    roles: list[str] | None = None
    include_blocked: bool = False


class CreateMailingRequest(Input, kw_only=True):
    channel: Literal["push", "sms"]
    title: Annotated[str, Meta(min_length=1, max_length=300)]
    body: Annotated[str, Meta(min_length=1, max_length=4000)]
    filter: MailingFilterBody = msgspec.field(default_factory=MailingFilterBody)


class MailingCreated(Output, kw_only=True):
    id: str
    recipients: int


class MailingCard(Output, kw_only=True):
    id: str
    channel: str
    title: str
    body: str
    status: str
    recipients: int
    # The detailed statuses (sent, queued, no_app, no_devices, …) and their sum as staff read
    # them: sent, failed, skipped (nobody to deliver to), pending (still on the way).
    counts: dict[str, int]
    sent: int
    failed: int
    skipped: int
    pending: int
    created_at: str
    finished_at: str | None


class MailingItem(Output, kw_only=True):
    id: str
    channel: str
    title: str
    body: str
    status: str
    recipients: int
    sender_id: str | None
    sender_name: str | None
    created_at: str
    finished_at: str | None


class MailingList(Output, kw_only=True):
    items: list[MailingItem]
    next_cursor: str | None


class ClientMailingItem(Output, kw_only=True):
    mailing_id: str
    channel: str
    title: str
    body: str
    sender_id: str | None
    sender_name: str | None
    status: str
    created_at: str


class ClientMailingList(Output, kw_only=True):
    items: list[ClientMailingItem]
    next_cursor: str | None


class MonitorBucket(Output, kw_only=True):
    start: str
    active_users: int
    push_enabled_users: int
    opt_outs: int


class PushMonitor(Output, kw_only=True):
    granularity: str
    min_app_version: str
    buckets: list[MonitorBucket]
    opt_outs_total: int
