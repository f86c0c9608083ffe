"""The activity feed's answer (CRM-ACT-01): items with their premise and client (masked per STAFF-02),
counters and the cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from web.schemas import Output

ActivityType = Literal["request", "marketplace_order", "bill_payment", "meter_reading", "one_time_pass",
                       "permanent_pass", "poll", "owners_meeting", "call"]
ActivityStatus = Literal["waiting", "in_progress", "paused", "approval", "needs_clarification", "done", "cancelled"]


class ActivityPremise(Output, kw_only=True):
    id: str
    address: str


class ActivityClient(Output, kw_only=True):
    """Name and phone are masked without clients.pii.name / clients.pii.contacts (STAFF-02)."""

    id: str
    full_name: str | None
    phone: str | None


class ActivityItem(Output, kw_only=True):
    id: str
    type: str
    subject: str
    status: str | None
    number: int | None
    order_id: str | None
    premise: ActivityPremise | None
    client: ActivityClient | None
    occurred_at: datetime
    updated_at: datetime


class ActivityCounters(Output, kw_only=True):
    active_requests: int
    total: int


class ActivityFeed(Output, kw_only=True):
    items: list[ActivityItem]
    next_cursor: str | None
    counters: ActivityCounters
