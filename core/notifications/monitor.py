"""The push monitor (PUSH-07): per day or week, the partner's app users who opened the app, those
with push enabled, and opt-outs; only app versions 4.7 and newer count.

Computed from the recorded visits and settings events through indexes made for it (app_visit by day
and version, opt-out events by time)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput
from core.notifications.rules import MIN_MONITOR_VERSION_NUM
from core.scope import session_seen_sql

Granularity = Literal["day", "week"]
MAX_DAYS = 732

# The partner's app users: accounts whose phone is on one of its client cards, counted only in
# the apps the partner sees (STAFF-04: its brands' apps, the unified app while the account has one
# of its premises), never for what they do in another partner's white-label app.
_ACCOUNTS = """
    SELECT DISTINCT a.id FROM client c JOIN account a ON a.phone = c.phone WHERE c.partner_id = :partner_id
"""

_VISITS = text(f"""
    WITH accounts AS MATERIALIZED ({_ACCOUNTS})
    SELECT date_trunc(:unit, v.day)::date AS bucket,
           count(DISTINCT v.account_id) AS active,
           count(DISTINCT v.account_id) FILTER (WHERE v.push_enabled) AS enabled
    FROM app_visit v
    WHERE v.day >= :start AND v.day <= :end AND v.app_version_num >= :min_version
      AND v.account_id IN (SELECT id FROM accounts)
      AND {session_seen_sql(app_id="v.app_id", account_id="v.account_id", partner_id=":partner_id")}
    GROUP BY 1
""")

_OPT_OUTS = text(f"""
    WITH accounts AS MATERIALIZED ({_ACCOUNTS})
    SELECT date_trunc(:unit, e.created_at AT TIME ZONE 'UTC')::date AS bucket, count(DISTINCT e.account_id)
    FROM notification_settings_event e JOIN device_session s ON s.id = e.session_id
    WHERE e.opt_out AND e.created_at >= :start_at AND e.created_at < :end_at
      AND e.app_version_num >= :min_version AND e.account_id IN (SELECT id FROM accounts)
      AND {session_seen_sql(app_id="s.app_id", account_id="e.account_id", partner_id=":partner_id")}
    GROUP BY ROLLUP (1)
""")


@dataclass(frozen=True, slots=True)
class Bucket:
    start: date
    active_users: int
    push_enabled_users: int
    opt_outs: int


def bucket_starts(start: date, end: date, granularity: Granularity) -> list[date]:
    first = start - timedelta(days=start.weekday()) if granularity == "week" else start
    step = timedelta(days=7 if granularity == "week" else 1)
    out, current = [], first
    while current <= end:
        out.append(current)
        current += step
    return out


async def push_monitor(db: AsyncSession, partner_id: uuid.UUID, *, start: date, end: date,
                       granularity: Granularity) -> tuple[list[Bucket], int]:
    if end < start:
        raise InvalidInput.field("to", "Конец периода раньше начала")
    if (end - start).days > MAX_DAYS:
        raise InvalidInput.field("from", f"Период не длиннее {MAX_DAYS} дней")
    params = {"partner_id": partner_id, "unit": granularity, "min_version": MIN_MONITOR_VERSION_NUM}
    visits = {row.bucket: (row.active, row.enabled) for row in
              (await db.execute(_VISITS, {**params, "start": start, "end": end})).all()}
    start_at = datetime.combine(start, time.min, timezone.utc)
    end_at = datetime.combine(end + timedelta(days=1), time.min, timezone.utc)
    opt_outs: dict[date, int] = {}
    total = 0
    for bucket, count in (await db.execute(_OPT_OUTS, {**params, "start_at": start_at, "end_at": end_at})).all():
        if bucket is None:
            total = count  # the ROLLUP row: distinct accounts over the whole period
        else:
            opt_outs[bucket] = count
    buckets = [Bucket(start=b, active_users=visits.get(b, (0, 0))[0], push_enabled_users=visits.get(b, (0, 0))[1],
                      opt_outs=opt_outs.get(b, 0)) for b in bucket_starts(start, end, granularity)]
    return buckets, total
