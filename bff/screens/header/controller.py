"""The header screen's route (APP-PREM-04); the resident token is optional."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, get
from sqlalchemy.ext.asyncio import AsyncSession

from bff.screens.header.assembler import header_screen
from bff.screens.header.schemas import HeaderScreen
from core.auth.service import ResidentPrincipal
from web.deps import OPTIONAL_RESIDENT
from web.problems import problems


class HeaderController(Controller):
    path = "/app/v1/screens"
    tags = ["App: screens"]
    dependencies = OPTIONAL_RESIDENT
    security = [{}, {"ResidentBearer": []}]

    @get("/header", operation_id="GetHeaderScreen", responses=problems())
    async def header(self, db: AsyncSession, resident: ResidentPrincipal | None,
                     screen: Literal["main", "home", "services"] = "home") -> HeaderScreen:
        """The header of Main / Home / Services in every state of APP-PREM-04; the token is optional."""
        return await header_screen(db, resident, screen)
