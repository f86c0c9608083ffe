"""Staff login (`/crm/v1/auth`)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, post
from litestar.status_codes import HTTP_200_OK
from msgspec import Meta
from sqlalchemy.ext.asyncio import AsyncSession

from core.partners.service import staff_login
from core.runtime import Runtime
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

    @post("/login", status_code=HTTP_200_OK, operation_id="StaffLogin", responses=problems(400, 401))
    async def login(self, data: StaffLoginRequest, runtime: Runtime, db: AsyncSession) -> StaffTokenAnswer:
        token = await staff_login(runtime, db, email=data.email, password=data.password)
        return StaffTokenAnswer(access_token=token, expires_in=runtime.settings.staff_token_ttl)
