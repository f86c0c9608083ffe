"""The in-app notifications inbox of an account: newest first, read marks."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.clock import Clock
from core.errors import NotFound
from core.models import Notification
from core.infra.pagination import Position, keyset, page
from core.screen_cache import scoped


async def list_inbox(db: AsyncSession, account_id: uuid.UUID, *, premise_id: uuid.UUID | None, unread_only: bool,
                     cursor: Position | None, limit: int) -> tuple[list[Notification], Position | None, int]:
    stmt = select(Notification).where(Notification.account_id == account_id)
    if premise_id is not None:
        stmt = stmt.where(Notification.premise_id == premise_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    keys = [Notification.created_at, Notification.id]
    rows = (await db.scalars(keyset(stmt, keys, cursor=cursor, limit=limit, descending=True))).all()
    items, next_cursor = page(rows, limit, lambda n: (n.created_at, n.id))
    unread = await db.scalar(select(func.count()).select_from(Notification).where(
        Notification.account_id == account_id, Notification.read_at.is_(None))) or 0
    return items, next_cursor, unread


async def mark_read(db: AsyncSession, clock: Clock, account_id: uuid.UUID, notification_id: uuid.UUID) -> Notification:
    item = await db.scalar(select(Notification).where(Notification.id == notification_id,
                                                      Notification.account_id == account_id))
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
