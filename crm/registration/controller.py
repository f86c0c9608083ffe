"""Registration requests from the app and unidentified showcase leads (STAFF-05)."""

from __future__ import annotations

from litestar import Controller, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record
from core.clients.pii import PiiPolicy
from core.models import RegistrationRequest
from core.partners.service import PartnerPrincipal
from core.registration import service
from core.infra.runtime import Runtime
from crm.registration.schemas import (Approved, ApproveRequest, CreateLeadRequest, Decided, LeadCreated,
                                      RegistrationRequestItem, RegistrationRequestList, RejectRequest, RequestKind,
                                      RequestStatus)
from web.deps import PARTNER, PARTNER_SECURITY, Pages
from web.ids import parse_id, path_id
from core.errors import Common
from core.clients.rules import ClientCode
from core.phones import PhoneCode
from core.registration.service import RegistrationCode
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Cursor, Limit

HANDLE = {"permission": "reports.registration_requests"}


def request_item(request: RegistrationRequest, policy: PiiPolicy) -> RegistrationRequestItem:
    details = request.details or {}
    return RegistrationRequestItem(
        id=str(request.id), kind=request.kind, status=request.status, phone=policy.phone(request.phone),
        full_name=policy.name(service.display_name(details)),
        account_id=str(request.account_id) if request.account_id else None,
        object_id=str(request.object_id) if request.object_id else None, address=request.address,
        number=request.number, role=request.role, comment=details.get("comment"), created_at=request.created_at,
        decided_at=request.decided_at)


class RegistrationController(Controller):
    path = "/crm/v1"
    tags = ["CRM: registration requests"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @get("/registration-requests", operation_id="ListRegistrationRequests", opt=HANDLE,
         responses=problems())
    async def list_requests(self, actor: PartnerPrincipal, db: AsyncSession, pages: Pages, kind: RequestKind | None = None,
                            status: RequestStatus | None = None, cursor: Cursor = None,
                            limit: Limit = DEFAULT_LIMIT) -> RegistrationRequestList:
        """STAFF-05: registration requests from the app (partners without showcase), keyset-paginated, masked."""
        rows, next_cursor = await service.list_requests(db, actor, kind=kind, status=status,
                                                        cursor=pages.open(cursor),
                                                        limit=limit)
        policy = PiiPolicy.of(actor)
        revealed = [field for field in policy.revealed if field in ("name", "phone")]
        if rows and revealed:
            await record(db, actor, "pii.read", target_type="registration_request", fields=revealed,
                         details={"registration_request_ids": sorted(str(r.id) for r in rows)})
        return RegistrationRequestList(items=[request_item(r, policy) for r in rows],
                                       next_cursor=pages.seal(next_cursor))

    @post("/registration-requests/{request_id:str}/approve", operation_id="ApproveRegistrationRequest", opt=HANDLE,
          status_code=200, responses=problems(Common.NOT_FOUND, Common.CONFLICT, RegistrationCode.REGISTRATION_REQUEST_DECIDED, ClientCode.ALREADY_LINKED))
    async def approve(self, actor: PartnerPrincipal, request_id: str, data: ApproveRequest, db: AsyncSession,
                      runtime: Runtime) -> Approved:
        """STAFF-05: approves a request: creates the client and the link, and notifies the resident."""
        link_fields = {"role": data.role, "rent_day": data.rent_day,
                       "depends_on_client_id": parse_id(data.depends_on_client_id, "depends_on_client_id")
                       if data.depends_on_client_id else None}
        client, link = await service.approve(db, actor, runtime.clock, path_id(request_id),
                                             premise_id=parse_id(data.premise_id, "premise_id"),
                                             link_fields=link_fields)
        return Approved(id=request_id, status="approved", client_id=str(client.id), premise_id=str(link.premise_id),
                        role=link.role)

    @post("/registration-requests/{request_id:str}/reject", operation_id="RejectRegistrationRequest", opt=HANDLE,
          status_code=200, responses=problems(Common.NOT_FOUND, Common.CONFLICT, RegistrationCode.REGISTRATION_REQUEST_DECIDED))
    async def reject(self, actor: PartnerPrincipal, request_id: str, data: RejectRequest, db: AsyncSession,
                     runtime: Runtime) -> Decided:
        """STAFF-05: rejects a request with an optional reason; the resident sees it in My Premises."""
        request = await service.reject(db, actor, runtime.clock, path_id(request_id), reason=data.reason)
        return Decided(id=str(request.id), status=request.status)

    @post("/leads", operation_id="CreateShowcaseLead", opt={"permission": "clients.edit"},
          responses=problems(PhoneCode.INVALID_PHONE))
    async def create_lead(self, actor: PartnerPrincipal, data: CreateLeadRequest, db: AsyncSession,
                          runtime: Runtime) -> LeadCreated:
        """STAFF-05: an unidentified showcase lead (phone only), listed apart from registration requests."""
        lead, created = await service.create_lead(
            db, actor, runtime.clock, phone=data.phone, name=data.name,
            object_id=parse_id(data.object_id, "object_id") if data.object_id else None, comment=data.comment)
        return LeadCreated(id=str(lead.id), created=created)
