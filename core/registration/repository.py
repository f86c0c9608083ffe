"""Read queries of registration requests: the partner's list and a phone's pending showcase lead."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.pagination import Position, by_creation
from core.models import RegistrationRequest


async def requests(db: AsyncSession, partner_id: uuid.UUID, *, kind: str | None, status: str | None,
                   cursor: Position | None, limit: int) -> tuple[list[RegistrationRequest], Position | None]:
    """The partner's requests, newest first."""
    stmt = select(RegistrationRequest).where(RegistrationRequest.partner_id == partner_id)
    if kind:
        stmt = stmt.where(RegistrationRequest.kind == kind)
    if status:
        stmt = stmt.where(RegistrationRequest.status == status)
    return await by_creation(db, stmt, RegistrationRequest, cursor=cursor, limit=limit, newest_first=True)


async def pending_lead_for_update(db: AsyncSession, partner_id: uuid.UUID, phone: str) -> RegistrationRequest | None:
    return await db.scalar(select(RegistrationRequest).where(
        RegistrationRequest.partner_id == partner_id, RegistrationRequest.kind == "showcase_lead",
        RegistrationRequest.status == "pending", RegistrationRequest.phone == phone).with_for_update())
