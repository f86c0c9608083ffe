from __future__ import annotations

from typing import Literal

from litestar import Controller, get
from sqlalchemy.ext.asyncio import AsyncSession

from bff.screens.purchases.assembler import purchases_screen
from bff.screens.purchases.schemas import PurchasesScreen
from core.auth.service import ResidentPrincipal
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.problems import problems


class PurchasesController(Controller):
    path = "/app/v1/screens"
    tags = ["App: screens"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @get("/purchases", operation_id="GetPurchasesScreen", responses=problems(401))
    async def purchases(self, resident: ResidentPrincipal, db: AsyncSession,
                        tab: Literal["booking", "deal", "acceptance"] = "booking") -> PurchasesScreen:
        """APP-PURCH-01: lots of the current brand by stage; showcase brands to switch to (unified app)."""
        return await purchases_screen(db, resident, tab)
