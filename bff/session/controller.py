"""Switching the session's premise and brand (APP-PREM-02/03)."""

from __future__ import annotations

from litestar import Controller, post
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from bff.brands.context import BRAND_JSON, CONTEXT
from bff.session.schemas import SessionContext, SwitchBrandRequest, SwitchPremiseRequest
from bff.sql import fetch_view
from core.auth.service import ResidentPrincipal
from core.residents import context
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.ids import parse_id
from core.errors import Common
from core.residents.rules import ResidentCode
from web.problems import problems

CONTEXT_VIEW = CONTEXT + f"""
SELECT json_build_object('current_premise_id', (SELECT premise_id FROM cur), 'brand', {BRAND_JSON})::text"""


async def session_context(db: AsyncSession, resident: ResidentPrincipal) -> SessionContext:
    return await fetch_view(db, SessionContext, CONTEXT_VIEW, resident.account_id, resident.session_id,
                            resident.app_id)


class SessionController(Controller):
    path = "/app/v1/session"
    tags = ["App: session"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @post("/premise", status_code=HTTP_200_OK, operation_id="SwitchPremise", responses=problems(Common.NOT_FOUND, Common.RULE_VIOLATION, ResidentCode.PREMISE_OF_OTHER_BRAND))
    async def switch_premise(self, resident: ResidentPrincipal, data: SwitchPremiseRequest,
                             db: AsyncSession) -> SessionContext:
        """Make a premise of the account the current one; in the unified app the brand follows it."""
        await context.switch_premise(db, resident, parse_id(data.premise_id, "premise_id"))
        return await session_context(db, resident)

    @post("/brand", status_code=HTTP_200_OK, operation_id="SwitchBrand", responses=problems(Common.NOT_FOUND, ResidentCode.BRAND_SWITCH_UNAVAILABLE))
    async def switch_brand(self, resident: ResidentPrincipal, data: SwitchBrandRequest,
                           db: AsyncSession) -> SessionContext:
        """Unified app only: switch to a brand and to its first premise in list order."""
        await context.switch_brand(db, resident, data.brand_slug)
        return await session_context(db, resident)
