"""Registration requests from the app and unidentified showcase leads (STAFF-05): two lists of
their own; approving one creates the client card and the link and tells the resident."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import repository as clients
from core.clients import rules as client_rules
from core.clients.links import add_link
from core.infra.clock import Clock
from core.errors import ErrorCode, Conflict, InvalidInput
from core.estate.premises import full_address
from core.models import Client, EstateObject, Premise, PremiseLink, RegistrationRequest
from core.notifications.service import notify_phone
from core.infra.pagination import Position
from core.partners.service import PartnerPrincipal
from core.phones import normalize_phone
from core.registration import repository
from core.scope import owned


# The problem codes of registration requests.
RegistrationCode = ErrorCode.table("RegistrationCode", __name__, {
    Conflict: "registration_request_decided",
})


NAME_FIELDS = ("last_name", "first_name", "middle_name")


def names_from(details: dict | None) -> dict[str, str | None]:
    """The card's names from what the resident or the site sent: explicit parts, or one `name`
    read in Russian order (Фамилия Имя Отчество; a single word is a first name). Anything that is
    not a valid name is left out rather than refusing the approval."""
    details = details or {}
    parts = {field: details.get(field) for field in NAME_FIELDS if isinstance(details.get(field), str)}
    if not parts and isinstance(details.get("name"), str):
        words = details["name"].split()
        if len(words) == 1:
            parts = {"first_name": words[0]}
        elif len(words) in (2, 3):
            parts = dict(zip(NAME_FIELDS, words, strict=False))
    names: dict[str, str | None] = {}
    for field, value in parts.items():
        try:
            names[field] = client_rules.full_name_part(value, field)
        except InvalidInput:
            continue
    return names


def display_name(details: dict | None) -> str | None:
    names = names_from(details)
    return " ".join(names[f] for f in NAME_FIELDS if names.get(f)) or None


async def get_request(db: AsyncSession, actor: PartnerPrincipal, request_id: uuid.UUID) -> RegistrationRequest:
    return await owned(db, actor, RegistrationRequest, request_id, not_found="Заявка не найдена")


async def list_requests(db: AsyncSession, actor: PartnerPrincipal, *, kind: str | None, status: str | None,
                        cursor: Position | None, limit: int) -> tuple[list[RegistrationRequest], Position | None]:
    return await repository.requests(db, actor.partner_id, kind=kind, status=status, cursor=cursor, limit=limit)


def _pending(request: RegistrationRequest) -> None:
    if request.status != "pending":
        raise Conflict("Заявка уже рассмотрена", code=RegistrationCode.REGISTRATION_REQUEST_DECIDED)


def _decide(request: RegistrationRequest, actor: PartnerPrincipal, status: str, now: datetime) -> None:
    request.status = status
    request.decided_at = now
    request.decided_by_staff_id = actor.actor_id if actor.actor_type == "staff" else None


async def approve(db: AsyncSession, actor: PartnerPrincipal, clock: Clock, request_id: uuid.UUID, *,
                  premise_id: uuid.UUID, link_fields: dict) -> tuple[Client, PremiseLink]:
    """Create the client card for the request's phone unless the partner has one, link it to the
    premise with the given role, and notify the resident in the app."""
    request = await get_request(db, actor, request_id)
    _pending(request)
    premise = await owned(db, actor, Premise, premise_id, field="premise_id")
    now = clock.now()
    client = await clients.card_by_phone(db, actor.partner_id, request.phone)
    if client is None:
        client = Client(partner_id=actor.partner_id, phone=request.phone, created_at=now, updated_at=now,
                        **names_from(request.details))
        db.add(client)
        await db.flush()
    link = await add_link(db, actor, premise.id, {**link_fields, "client_id": client.id}, today=now.date())
    _decide(request, actor, "approved", now)
    await notify_phone(db, phone=request.phone, partner_id=actor.partner_id, type="people",
                       title="Помещение добавлено", body=f"Заявка одобрена: {full_address(premise)}",
                       deep_link=f"app://premises/{premise.id}", premise_id=premise.id, now=now)
    await db.flush()
    return client, link


async def reject(db: AsyncSession, actor: PartnerPrincipal, clock: Clock, request_id: uuid.UUID, *,
                 reason: str | None) -> RegistrationRequest:
    request = await get_request(db, actor, request_id)
    _pending(request)
    _decide(request, actor, "rejected", clock.now())
    if reason:
        request.details = {**(request.details or {}), "rejection_reason": reason}
    await db.flush()
    return request


async def create_lead(db: AsyncSession, actor: PartnerPrincipal, clock: Clock, *, phone: str, name: str | None,
                      object_id: uuid.UUID | None, comment: str | None) -> tuple[RegistrationRequest, bool]:
    """An unidentified showcase lead (phone only) from the developer's site. A pending lead of the
    same phone is updated rather than repeated, so the site may resend."""
    phone = normalize_phone(phone)
    if object_id is not None:
        await owned(db, actor, EstateObject, object_id, field="object_id")
    details = {key: value for key, value in (("name", name), ("comment", comment)) if value}
    lead = await repository.pending_lead_for_update(db, actor.partner_id, phone)
    created = lead is None
    if created:
        lead = RegistrationRequest(partner_id=actor.partner_id, kind="showcase_lead", phone=phone, details={},
                                   created_at=clock.now())
        db.add(lead)
    lead.details = {**(lead.details or {}), **details}
    if object_id is not None:
        lead.object_id = object_id
    await db.flush()
    return lead, created
