from __future__ import annotations

from litestar import Controller, get
from sqlalchemy.ext.asyncio import AsyncSession

from bff.screens.profile.assembler import profile_screen
from bff.screens.profile.schemas import ProfileScreen
from core.auth.service import ResidentPrincipal
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.problems import problems


class ProfileController(Controller):
    path = "/app/v1/screens"
    tags = ["App: screens"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @get("/profile", operation_id="GetProfileScreen", responses=problems(401))
    async def profile(self, resident: ResidentPrincipal, db: AsyncSession) -> ProfileScreen:
        """APP-PROFILE-01: entries by the brand's products, the selected premise, People and purchases."""
        return await profile_screen(db, resident)
