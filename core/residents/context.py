"""The app context of a device session: which premise (and, in the unified app, which brand) the
resident is switched to (APP-PREM-02/03).

Reads of the context happen in the screens' SQL (bff/brands/context.py); these are the writes."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.service import ResidentPrincipal
from core.enums import UNIFIED_APP_ID
from core.errors import NotFound, PermissionDenied, RuleViolation
from core.models import (
    Account,
    Brand,
    Client,
    DeviceSession,
    EstateObject,
    Partner,
    Premise,
    PremiseLink,
)
from core.residents import rules
from core.residents.access import premise_access
from core.residents.rules import ResidentCode
from core.screen_cache import scoped

BRAND_NOT_FOUND = "Бренд не найден"


def premise_brand():
    """core.estate.rules.premise_brand as an expression over EstateObject and Partner."""
    return func.coalesce(EstateObject.brand_id, Partner.default_brand_id)


async def brand_of_premise(db: AsyncSession, premise_id: uuid.UUID) -> uuid.UUID | None:
    return await db.scalar(select(premise_brand()).select_from(Premise)
                           .join(EstateObject, EstateObject.id == Premise.object_id)
                           .join(Partner, Partner.id == Premise.partner_id).where(Premise.id == premise_id))


async def switch_premise(db: AsyncSession, principal: ResidentPrincipal, premise_id: uuid.UUID) -> None:
    """APP-PREM-02: the session's current premise; in the unified app the brand follows the
    premise. A branded app cannot switch to another brand's premise (it lists them, none marked)."""
    await premise_access(db, principal.account_id, premise_id)
    brand_id = await brand_of_premise(db, premise_id)
    if principal.app_id == UNIFIED_APP_ID:
        values = {"current_premise_id": premise_id, "current_brand_id": brand_id}
    else:
        app_brand = await db.scalar(select(Brand.id).where(Brand.slug == principal.app_id))
        if brand_id is None or brand_id != app_brand:
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
    brand = (await db.execute(select(Brand.id, Brand.partner_id).where(Brand.slug == slug))).first()
    if brand is None:
        raise NotFound(BRAND_NOT_FOUND)
    mine = (select(PremiseLink.premise_id, PremiseLink.linked_at, PremiseLink.id)
            .join(Client, Client.id == PremiseLink.client_id).join(Account, Account.phone == Client.phone)
            .where(Account.id == principal.account_id).subquery())
    first = await db.scalar(
        select(Premise.id).join(mine, mine.c.premise_id == Premise.id)
        .join(EstateObject, EstateObject.id == Premise.object_id).join(Partner, Partner.id == Premise.partner_id)
        .where(premise_brand() == brand.id).order_by(mine.c.linked_at, mine.c.id).limit(1))
    if first is None:
        registered = await db.scalar(
            select(func.count()).select_from(Client).join(Account, Account.phone == Client.phone)
            .join(Partner, Partner.id == Client.partner_id)
            .where(Account.id == principal.account_id, Client.partner_id == brand.partner_id,
                   Partner.products.any("showcase")))
        if not registered:
            raise NotFound(BRAND_NOT_FOUND)
    await db.execute(update(DeviceSession).where(DeviceSession.id == principal.session_id)
                     .values(current_brand_id=brand.id, current_premise_id=first),
                     execution_options=scoped(account=principal.account_id))
