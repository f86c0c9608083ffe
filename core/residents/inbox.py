"""The in-app notifications inbox of an account: newest first, read marks."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.clock import Clock
from core.errors import NotFound
from core.models import Notification
from core.infra.pagination import Position
from core.residents import repository
from core.changes import scoped


async def list_inbox(db: AsyncSession, account_id: uuid.UUID, *, premise_id: uuid.UUID | None, unread_only: bool,
                     cursor: Position | None, limit: int) -> tuple[list[Notification], Position | None, int]:
    items, next_cursor = await repository.inbox(db, account_id, premise_id=premise_id, unread_only=unread_only,
                                                cursor=cursor, limit=limit)
    return items, next_cursor, await repository.unread_count(db, account_id)


async def mark_read(db: AsyncSession, clock: Clock, account_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    item = await repository.notification(db, account_id, notification_id)
    if item is None:
        raise NotFound("Уведомление не найдено")
    if item.read_at is None:
        item.read_at = clock.now()
        await db.flush()
    return item


async def mark_all_read(db: AsyncSession, clock: Clock, account_id: uuid.UUID) -> int:
    result = await db.execute(update(Notification).where(Notification.account_id == account_id,
                                                         Notification.read_at.is_(None)).values(read_at=clock.now()),
                              execution_options=scoped(account=account_id))
    return result.rowcount or 0
