"""The My Premises screen's route (APP-PREM-01/03/05)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from bff.cache import SCREEN_RESIDENT, screen_answer
from bff.screens.my_premises.assembler import my_premises_screen
from bff.screens.my_premises.schemas import MyPremisesScreen
from core.auth.service import ResidentPrincipal
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.problems import problems


class MyPremisesController(Controller):
    path = "/app/v1/screens"
    tags = ["App: screens"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @get("/my-premises", operation_id="GetMyPremisesScreen", responses=problems(),
         dependencies=SCREEN_RESIDENT)
    async def my_premises(self, request: Request, resident: ResidentPrincipal) -> Response[MyPremisesScreen]:
        """APP-PREM-01/03/05: the account's premises in every partner (earliest linked first), its
        pending requests to add one, the brands to switch to (unified app) and quick pay."""
        return await screen_answer(request, resident, lambda db: my_premises_screen(db, resident))
