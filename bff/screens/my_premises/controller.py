from __future__ import annotations

from litestar import Controller, get
from sqlalchemy.ext.asyncio import AsyncSession

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

    @get("/my-premises", operation_id="GetMyPremisesScreen", responses=problems(401))
    async def my_premises(self, resident: ResidentPrincipal, db: AsyncSession) -> MyPremisesScreen:
        """APP-PREM-01/03/05: the account's premises in every partner (earliest linked first), its
        pending requests to add one, the brands to switch to (unified app) and quick pay."""
        return await my_premises_screen(db, resident)
