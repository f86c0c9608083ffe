"""A resident's request to add a premise, from the app: it waits in My Premises and in the
partner's registration requests (STAFF-05) until staff approve or reject it."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.enums import UNIFIED_APP_ID
from core.errors import InvalidInput
from core.models import Brand, EstateObject, RegistrationRequest
from core.residents.access import account_phone


async def request_premise(db: AsyncSession, clock: Clock, account_id: uuid.UUID, app_id: str, *,
                          object_id: uuid.UUID | None, address: str, number: str, role: str,
                          details: dict | None = None) -> RegistrationRequest:
    """The partner is the object's; without an object, the branded app's partner (the unified app
    cannot know it, so the request waits for the platform to route it)."""
    partner_id = None
    if object_id is not None:
        partner_id = await db.scalar(select(EstateObject.partner_id).where(EstateObject.id == object_id))
        if partner_id is None:
            raise InvalidInput.field("object_id", "Объект не найден")
    elif app_id != UNIFIED_APP_ID:
        partner_id = await db.scalar(select(Brand.partner_id).where(Brand.slug == app_id))
    request = RegistrationRequest(partner_id=partner_id, kind="premise_request", account_id=account_id,
                                  phone=await account_phone(db, account_id), object_id=object_id, address=address,
                                  number=number, role=role, details=details or {}, created_at=clock.now())
    db.add(request)
    await db.flush()
    return request
