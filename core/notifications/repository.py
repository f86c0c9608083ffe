"""Read queries of notifications: accounts by phone, a mailing, device sessions as staff and the
app's settings see them, the push log and the pushes an account was lately sent (the throttle)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.pagination import Position, keyset, page
from core.models import Account, Brand, Client, DeviceSession, Mailing, PushDelivery, PushMessage
from core.scope import partner_sees_session, partner_sessions


async def account_id_of(db: AsyncSession, phone: str) -> uuid.UUID | None:
    return await db.scalar(select(Account.id).where(Account.phone == phone))


async def logged_in_account_id(db: AsyncSession, phone: str) -> uuid.UUID | None:
    return await db.scalar(select(Account.id).where(Account.phone == phone, Account.first_login_at.is_not(None)))


async def mailing(db: AsyncSession, partner_id: uuid.UUID, mailing_id: uuid.UUID) -> Mailing | None:
    return await db.scalar(select(Mailing).where(Mailing.id == mailing_id, Mailing.partner_id == partner_id))


async def session_for_update(db: AsyncSession, session_id: uuid.UUID) -> DeviceSession | None:
    return await db.scalar(select(DeviceSession).where(DeviceSession.id == session_id).with_for_update())


async def active_sessions(db: AsyncSession, partner_id: uuid.UUID, phone: str) -> list[DeviceSession]:
    """PUSH-03: the active sessions of the phone's account in the apps the partner sees (STAFF-04),
    the latest active first."""
    return list((await db.scalars(
        select(DeviceSession).where(DeviceSession.id.in_(partner_sessions(partner_id, phone)),
                                    DeviceSession.deactivated_at.is_(None))
        .order_by(DeviceSession.last_activity_at.desc(), DeviceSession.id)
    )).all())


async def client_session(db: AsyncSession, partner_id: uuid.UUID, session_id: uuid.UUID) -> uuid.UUID | None:
    """The session's id when it is of an account that is one of the partner's clients, in an app
    the partner sees (STAFF-04)."""
    return await db.scalar(
        select(DeviceSession.id)
        .join(Account, Account.id == DeviceSession.account_id)
        .join(Client, Client.phone == Account.phone)
        .where(DeviceSession.id == session_id, Client.partner_id == partner_id,
               partner_sees_session(partner_id))
        .limit(1))


async def deliveries(db: AsyncSession, partner_id: uuid.UUID, *, account_id: uuid.UUID | None, status: str | None,
                     cursor: Position | None, limit: int) -> tuple[list, Position | None]:
    """The partner's pushes to devices of its apps (STAFF-04), newest first; with `account_id`,
    those to that account."""
    stmt = (
        select(PushDelivery.id, PushDelivery.session_id, PushDelivery.message_id, PushMessage.account_id,
               PushMessage.type, PushMessage.title, PushMessage.body, PushMessage.deep_link, PushMessage.data,
               Brand.slug.label("brand"), PushMessage.premise_id, PushMessage.mailing_id, PushDelivery.status,
               PushDelivery.attempts, PushDelivery.resends, PushDelivery.error, PushDelivery.created_at,
               PushDelivery.sent_at)
        .join(PushMessage, PushMessage.id == PushDelivery.message_id)
        .join(DeviceSession, DeviceSession.id == PushDelivery.session_id)
        .outerjoin(Brand, Brand.id == PushMessage.brand_id)
        .where(PushMessage.partner_id == partner_id, partner_sees_session(partner_id))
    )
    if account_id is not None:
        stmt = stmt.where(PushMessage.account_id == account_id)
    if status:
        stmt = stmt.where(PushDelivery.status == status)
    stmt = keyset(stmt, [PushDelivery.created_at, PushDelivery.id], cursor=cursor, limit=limit, descending=True)
    return page((await db.execute(stmt)).all(), limit, lambda r: (r.created_at, r.id))


async def latest_pushes(db: AsyncSession, account_id: uuid.UUID, kind: str, *, created_after: datetime,
                        limit: int) -> list[datetime]:
    """When the account's latest pushes of this type, mailings aside, go out (or went), latest
    first."""
    return list((await db.scalars(
        select(PushMessage.available_at)
        .where(PushMessage.account_id == account_id, PushMessage.type == kind, PushMessage.mailing_id.is_(None),
               PushMessage.created_at > created_after)
        .order_by(PushMessage.available_at.desc()).limit(limit)
    )).all())
