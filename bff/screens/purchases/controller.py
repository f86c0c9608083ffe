"""The Purchases screen's route (APP-PURCH-01): one stage tab at a time."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, Request, Response, get

from bff.cache import SCREEN_RESIDENT, screen_answer
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

    @get("/purchases", operation_id="GetPurchasesScreen", responses=problems(),
         dependencies=SCREEN_RESIDENT)
    async def purchases(self, request: Request, resident: ResidentPrincipal,
                        tab: Literal["booking", "deal", "acceptance"] = "booking") -> Response[PurchasesScreen]:
        """APP-PURCH-01: lots of the current brand by stage; showcase brands to switch to (unified app)."""
        return await screen_answer(request, resident, lambda db: purchases_screen(db, resident, tab))
