"""The app context of a device session: which premise (and, in the unified app, which brand) the
resident is switched to (APP-PREM-02/03).

Reads of the context happen in the screens' SQL (bff/brands/context.py); these are the writes."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.service import ResidentPrincipal
from core.enums import UNIFIED_APP_ID
from core.errors import NotFound, PermissionDenied, RuleViolation
from core.estate import repository as estate
from core.models import DeviceSession
from core.partners import repository as partners
from core.residents import repository, rules
from core.residents.access import premise_access
from core.residents.rules import ResidentCode
from core.changes import scoped

BRAND_NOT_FOUND = "Бренд не найден"


async def switch_premise(db: AsyncSession, principal: ResidentPrincipal, premise_id: uuid.UUID) -> None:
    """APP-PREM-02: the session's current premise; in the unified app the brand follows the
    premise. A branded app cannot switch to another brand's premise (it lists them, none marked)."""
    await premise_access(db, principal.account_id, premise_id)
    premise_brand = await estate.brand_of_premise(db, premise_id)
    brand_id = premise_brand.brand_id if premise_brand is not None else None
    if principal.app_id == UNIFIED_APP_ID:
        values = {"current_premise_id": premise_id, "current_brand_id": brand_id}
    else:
        app_brand = await partners.brand_by_slug(db, principal.app_id)
        if brand_id is None or app_brand is None or brand_id != app_brand.id:
            raise RuleViolation(rules.OTHER_BRAND_PREMISE, code=ResidentCode.PREMISE_OF_OTHER_BRAND)
        values = {"current_premise_id": premise_id}
    await db.execute(update(DeviceSession).where(DeviceSession.id == principal.session_id).values(**values),
                     execution_options=scoped(account=principal.account_id))


async def switch_brand(db: AsyncSession, principal: ResidentPrincipal, slug: str) -> None:
    """APP-PREM-03 (unified app only): a brand where the account has a premise in operation, or a
    showcase brand where it is registered (APP-PURCH-01); the session moves to that brand's first
    premise in list order, or to none when it has none there."""
    if principal.app_id != UNIFIED_APP_ID:
        raise PermissionDenied(rules.BRAND_SWITCH_UNAVAILABLE, code=ResidentCode.BRAND_SWITCH_UNAVAILABLE)
    brand = await partners.brand_by_slug(db, slug)
    if brand is None:
        raise NotFound(BRAND_NOT_FOUND)
    first = await repository.first_premise_of_brand(db, principal.account_id, brand.id)
    if first is None:
        if not await repository.showcase_cards(db, principal.account_id, brand.partner_id):
            raise NotFound(BRAND_NOT_FOUND)
    await db.execute(update(DeviceSession).where(DeviceSession.id == principal.session_id)
                     .values(current_brand_id=brand.id, current_premise_id=first),
                     execution_options=scoped(account=principal.account_id))
