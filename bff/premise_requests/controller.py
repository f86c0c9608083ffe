"""The app's endpoint to request a premise (STAFF-05): it waits in My Premises and in the partner's
registration requests."""

from __future__ import annotations

from litestar import Controller, post
from sqlalchemy.ext.asyncio import AsyncSession

from bff.premise_requests.schemas import CreatePremiseRequest, PremiseRequestCreated
from core.auth.service import ResidentPrincipal
from core.residents.requests import request_premise
from core.infra.runtime import Runtime
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.ids import parse_id
from core.residents.rules import ResidentCode
from web.problems import problems


class PremiseRequestController(Controller):
    path = "/app/v1/premise-requests"
    tags = ["App: premises"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @post("", operation_id="CreatePremiseRequest", responses=problems(ResidentCode.ACCOUNT_MISSING))
    async def create(self, resident: ResidentPrincipal, data: CreatePremiseRequest, db: AsyncSession,
                     runtime: Runtime) -> PremiseRequestCreated:
        """A request to add a premise: listed in My Premises and in the partner's registration requests."""
        request = await request_premise(
            db, runtime.clock, resident.account_id, resident.app_id,
            object_id=parse_id(data.object_id, "object_id") if data.object_id else None,
            address=data.address, number=data.number, role=data.role,
            details={"comment": data.comment} if data.comment else None)
        return PremiseRequestCreated(id=str(request.id), status=request.status)
