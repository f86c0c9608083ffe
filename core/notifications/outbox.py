"""The push outbox: a notification written inside the caller's transaction (PUSH-04).

Workers pick it up only once that transaction commits: no push for a change rolled back, none lost
for one committed."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.clock import Clock, SystemClock
from core.enums import NOTIFICATION_TYPES
from core.errors import InvalidInput
from core.estate import repository as estate
from core.models import PushMessage
from core.notifications import repository, rules
from core.partners import repository as partners
from core.notifications.rules import DEFAULT_THROTTLES, Throttle

_SYSTEM_CLOCK = SystemClock()
_throttles: dict[str, Throttle] = dict(DEFAULT_THROTTLES)


def use_throttles(throttles: dict[str, Throttle]) -> None:
    global _throttles
    _throttles = dict(throttles)


def clock_of(db: AsyncSession) -> Clock:
    """The runtime's clock, which its sessions carry (core.infra.db.session_factory)."""
    return db.info.get("clock") or _SYSTEM_CLOCK


async def enqueue_push(db: AsyncSession, *, account_id: uuid.UUID, type: str, title: str, body: str,
                       deep_link: str | None = None, partner_id: uuid.UUID | None = None,
                       premise_id: uuid.UUID | None = None, brand_id: uuid.UUID | None = None,
                       dedup_key: str | None = None, data: dict[str, str] | None = None) -> uuid.UUID | None:
    """Write a push for every eligible device of the account (PUSH-04) to the outbox. Returns
    the notification id, or None when `dedup_key` was already used."""
    if type not in NOTIFICATION_TYPES:
        raise InvalidInput.field("type", f"Неизвестный тип уведомления: {type}")
    if deep_link is not None and not rules.valid_deep_link(deep_link):
        raise InvalidInput.field("deep_link", "Некорректная ссылка для приложения")
    if deep_link is None and premise_id is not None:
        deep_link = rules.premise_link(premise_id)
    if brand_id is None and (premise_id is not None or partner_id is not None):
        brand_id = await _brand_of(db, premise_id, partner_id)
    now = clock_of(db).now()
    available_at = await _throttled_until(db, account_id, type, now) or now
    message_id = uuid.uuid4()
    stmt = insert(PushMessage).values(
        id=message_id, account_id=account_id, partner_id=partner_id, brand_id=brand_id, premise_id=premise_id,
        type=type, title=title[:300], body=body, deep_link=deep_link,
        data={str(k): str(v) for k, v in (data or {}).items()}, dedup_key=dedup_key, created_at=now,
        available_at=available_at,
    )
    if dedup_key is not None:
        stmt = stmt.on_conflict_do_nothing(index_elements=[PushMessage.dedup_key])
    inserted = (await db.execute(stmt.returning(PushMessage.id))).scalar_one_or_none()
    return inserted


async def _brand_of(db: AsyncSession, premise_id: uuid.UUID | None, partner_id: uuid.UUID | None) -> uuid.UUID | None:
    """The object's brand decides the brand of its premises; else the partner's default."""
    if premise_id is not None:
        row = await estate.brand_of_premise(db, premise_id)
        if row is not None:
            return row.brand_id
    if partner_id is not None:
        return await partners.default_brand_of(db, partner_id)
    return None


async def _throttled_until(db: AsyncSession, account_id: uuid.UUID, kind: str, now: datetime) -> datetime | None:
    throttle = _throttles.get(kind, _throttles.get("*"))
    if throttle is None or throttle.limit <= 0:
        return None
    since = now - timedelta(seconds=throttle.window_seconds)
    # Deferred pushes count where they will go out, so a burst is spread over the windows.
    recent = await repository.latest_pushes(
        db, account_id, kind, created_after=since - timedelta(seconds=throttle.window_seconds * 10),
        limit=throttle.limit)
    recent = [moment for moment in recent if moment > since]
    return rules.throttled_until(recent, throttle, now)
