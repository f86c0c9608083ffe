"""What was pushed, as staff see it (PUSH-08: recorded pushes are visible with their payload)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotFound
from core.models import Account, Brand, Client, DeviceSession, PushDelivery, PushMessage
from core.infra.pagination import Position, keyset, page
from core.partners.service import PartnerPrincipal
from core.scope import partner_sees_session


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
    stmt = (
        select(PushDelivery.id, PushDelivery.session_id, PushDelivery.message_id, PushMessage.account_id,
               PushMessage.type, PushMessage.title, PushMessage.body, PushMessage.deep_link, PushMessage.data,
               Brand.slug.label("brand"), PushMessage.premise_id, PushMessage.mailing_id, PushDelivery.status,
               PushDelivery.attempts, PushDelivery.resends, PushDelivery.error, PushDelivery.created_at,
               PushDelivery.sent_at)
        .join(PushMessage, PushMessage.id == PushDelivery.message_id)
        .join(DeviceSession, DeviceSession.id == PushDelivery.session_id)
        .outerjoin(Brand, Brand.id == PushMessage.brand_id)
        # The partner's pushes, to devices of the apps it sees (STAFF-04).
        .where(PushMessage.partner_id == actor.partner_id,
               partner_sees_session(actor.partner_id))
    )
    if client_id is not None:
        phone = (await db.execute(select(Client.phone).where(Client.id == client_id,
                                                             Client.partner_id == actor.partner_id))).first()
        if phone is None:
            raise NotFound("Клиент не найден")
        account_id = await db.scalar(select(Account.id).where(Account.phone == phone[0])) if phone[0] else None
        if account_id is None:
            return [], None
        stmt = stmt.where(PushMessage.account_id == account_id)
    if status:
        stmt = stmt.where(PushDelivery.status == status)
    stmt = keyset(stmt, [PushDelivery.created_at, PushDelivery.id], cursor=cursor, limit=limit, descending=True)
    rows = (await db.execute(stmt)).all()
    items, next_cursor = page(rows, limit, lambda r: (r.created_at, r.id))
    return [DeliveryRow(**row._mapping) for row in items], next_cursor
