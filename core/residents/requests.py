"""A resident's request to add a premise, from the app: it waits in My Premises and in the
partner's registration requests (STAFF-05) until staff approve or reject it."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.clock import Clock
from core.enums import UNIFIED_APP_ID
from core.errors import InvalidInput
from core.estate import repository as estate
from core.models import RegistrationRequest
from core.partners import repository as partners
from core.residents.access import account_phone

OBJECT_NOT_FOUND = "Объект не найден"
OBJECT_REQUIRED = "Выберите жилой комплекс или дом из списка: без него заявку некому рассмотреть"


async def request_premise(db: AsyncSession, clock: Clock, account_id: uuid.UUID, app_id: str, *,
                          object_id: uuid.UUID | None, address: str, number: str, role: str,
                          details: dict | None = None) -> RegistrationRequest:
    """STAFF-05: the partner is the object's; without an object, the branded app's partner. The
    unified app cannot know the partner without an object (picked from GET /app/v1/objects), so
    such a request is refused: none is stored where no partner sees it."""
    app_partner = None
    if app_id != UNIFIED_APP_ID:
        brand = await partners.brand_by_slug(db, app_id)
        app_partner = brand.partner_id if brand is not None else None
    partner_id = app_partner
    if object_id is not None:
        partner_id = await estate.object_partner(db, object_id)
        # A branded app offers its partner's objects only (GET /app/v1/objects).
        if partner_id is None or (app_id != UNIFIED_APP_ID and partner_id != app_partner):
            raise InvalidInput.field("object_id", OBJECT_NOT_FOUND)
    if partner_id is None:
        raise InvalidInput.field("object_id", OBJECT_REQUIRED)
    request = RegistrationRequest(partner_id=partner_id, kind="premise_request", account_id=account_id,
                                  phone=await account_phone(db, account_id), object_id=object_id, address=address,
                                  number=number, role=role, details=details or {}, created_at=clock.now())
    db.add(request)
    await db.flush()
    return request
