"""The audit trail: staff actions that change data, and every read of unmasked personal data
(who, which clients, which fields, when, from where — 152-FZ art. 19)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.pagination import Position, by_creation
from core.models import AuditRecord
from core.partners.service import PartnerPrincipal


async def record(db: AsyncSession, actor: PartnerPrincipal, action: str, *, target_type: str | None = None,
                 target_id: uuid.UUID | str | None = None, fields: Iterable[str] = (),
                 details: dict | None = None) -> None:
    db.add(AuditRecord(partner_id=actor.partner_id, actor_type=actor.actor_type, actor_id=str(actor.actor_id),
                       action=action, target_type=target_type, target_id=str(target_id) if target_id else None,
                       fields=sorted(fields), details=details, ip=actor.ip))


async def record_pii_read(db: AsyncSession, actor: PartnerPrincipal, client_ids: Iterable[uuid.UUID],
                          fields: Iterable[str]) -> None:
    """One record per answer that showed personal data unmasked."""
    ids = sorted({str(i) for i in client_ids})
    fields = sorted(fields)
    if not ids or not fields:
        return
    await record(db, actor, "pii.read", target_type="client", target_id=ids[0] if len(ids) == 1 else None,
                 fields=fields, details={"client_ids": ids})


async def list_records(db: AsyncSession, *, partner_id: uuid.UUID | None = None, action: str | None = None,
                       actor_id: str | None = None, target_id: str | None = None, cursor: Position | None,
                       limit: int) -> tuple[list[AuditRecord], Position | None]:
    """The trail, newest first (keyset pagination), narrowed by whichever filters are given."""
    stmt = select(AuditRecord)
    if partner_id:
        stmt = stmt.where(AuditRecord.partner_id == partner_id)
    if action:
        stmt = stmt.where(AuditRecord.action == action)
    if actor_id:
        stmt = stmt.where(AuditRecord.actor_id == actor_id)
    if target_id:
        stmt = stmt.where(AuditRecord.target_id == target_id)
    return await by_creation(db, stmt, AuditRecord, cursor=cursor, limit=limit, newest_first=True)
