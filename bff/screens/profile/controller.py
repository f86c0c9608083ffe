"""The Profile screen's route (APP-PROFILE-01)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from bff.cache import SCREEN_RESIDENT, screen_answer
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

    @get("/profile", operation_id="GetProfileScreen", responses=problems(),
         dependencies=SCREEN_RESIDENT)
    async def profile(self, request: Request, resident: ResidentPrincipal) -> Response[ProfileScreen]:
        """APP-PROFILE-01: entries by the brand's products, the selected premise, People and purchases."""
        return await screen_answer(request, resident, lambda db: profile_screen(db, resident))
