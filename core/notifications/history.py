"""What was pushed, as staff see it (PUSH-08: recorded pushes are visible with their payload)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.clients.repository import partner_card_phone
from core.errors import NotFound
from core.infra.pagination import Position
from core.notifications import repository
from core.partners.service import PartnerPrincipal


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: uuid.UUID
    session_id: uuid.UUID
    message_id: uuid.UUID
    account_id: uuid.UUID
    type: str
    title: str
    body: str
    deep_link: str | None
    data: dict
    brand: str | None
    premise_id: uuid.UUID | None
    mailing_id: uuid.UUID | None
    status: str
    attempts: int
    resends: int
    error: str | None
    created_at: datetime
    sent_at: datetime | None


async def list_deliveries(db: AsyncSession, actor: PartnerPrincipal, *, client_id: uuid.UUID | None,
                          status: str | None, cursor: Position | None, limit: int) -> tuple[list[DeliveryRow], Position | None]:
    """The partner's pushes to devices of its apps, newest first; with `client_id`, those to that
    client's account."""
    account_id = None
    if client_id is not None:
        phone = await partner_card_phone(db, actor.partner_id, client_id)
        if phone is None:
            raise NotFound("Клиент не найден")
        account_id = await repository.account_id_of(db, phone[0]) if phone[0] else None
        if account_id is None:
            return [], None
    items, next_cursor = await repository.deliveries(db, actor.partner_id, account_id=account_id, status=status,
                                                     cursor=cursor, limit=limit)
    return [DeliveryRow(**row._mapping) for row in items], next_cursor
