"""Staff login (`/crm/v1/auth`)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.status_codes import HTTP_200_OK
from msgspec import Meta
from sqlalchemy.ext.asyncio import AsyncSession

from core.partners.service import PartnerCode, PartnerPrincipal, staff_login
from core.infra.runtime import Runtime
from web.deps import PARTNER, PARTNER_SECURITY, client_ip
from core.errors import Common
from web.problems import problems
from web.schemas import Input, Output


class StaffLoginRequest(Input, kw_only=True):
    email: Annotated[str, Meta(min_length=1, max_length=320)]
    password: Annotated[str, Meta(min_length=1, max_length=200)]


class StaffTokenAnswer(Output, kw_only=True):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


class StaffAuthController(Controller):
    path = "/crm/v1/auth"
    tags = ["CRM: auth"]

    @post("/login", status_code=HTTP_200_OK, operation_id="StaffLogin", responses=problems(Common.RATE_LIMITED, PartnerCode.INVALID_CREDENTIALS, PartnerCode.STAFF_LOGIN_LOCKED, PartnerCode.STAFF_LOGIN_IP_LIMITED))
    async def login(self, data: StaffLoginRequest, runtime: Runtime, db: AsyncSession,
                    request: Request) -> StaffTokenAnswer:
        """A staff token. Wrong passwords lock the e-mail out for 15 minutes (STAFF_LOGIN_FAILURES)
        and are limited per client address (STAFF_LOGIN_PER_IP_HOUR)."""
        token = await staff_login(runtime, db, email=data.email, password=data.password, ip=client_ip(request))
        return StaffTokenAnswer(access_token=token, expires_in=runtime.settings.staff_token_ttl)


class WhoAmI(Output, kw_only=True):
    partner_id: str
    actor_type: str
    actor_id: str
    permissions: list[str]


class WhoAmIController(Controller):
    path = "/crm/v1/me"
    tags = ["CRM: auth"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @get("/", operation_id="GetCurrentActor", responses=problems())
    async def me(self, actor: PartnerPrincipal) -> WhoAmI:
        """Who the token belongs to: a staff member or an integration's API key, and what it may do."""
        return WhoAmI(partner_id=str(actor.partner_id), actor_type=actor.actor_type, actor_id=str(actor.actor_id),
                      permissions=sorted(actor.permissions))
