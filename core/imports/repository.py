"""Read queries of imports: the facts a batch of client items is decided on, and the file jobs (the
claim of a waiting one, a running one under its token, the partner's list)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Row, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.pagination import Position, by_creation
from core.models import Account, Client, ClientExternalId, ClientPhoneHistory, ImportJob


async def external_ids(db: AsyncSession, partner_id: uuid.UUID, values: list[str]) -> list[Row]:
    """(value, client_id, note) of the partner's external ids among `values`."""
    return list((await db.execute(
        select(ClientExternalId.value, ClientExternalId.client_id, ClientExternalId.note)
        .where(ClientExternalId.partner_id == partner_id, ClientExternalId.value.in_(values)))).all())


async def cards(db: AsyncSession, partner_id: uuid.UUID, ids: set[uuid.UUID], phones: set[str]) -> list[Client]:
    """The partner's cards with one of these ids or phones."""
    return list((await db.scalars(select(Client).where(
        Client.partner_id == partner_id, Client.id.in_(ids) | Client.phone.in_(phones)))).all())


async def logged_in_phones(db: AsyncSession, phones: set[str]) -> set[str]:
    """Those of the phones whose account has logged in."""
    return set((await db.scalars(select(Account.phone).where(
        Account.phone.in_(phones), Account.first_login_at.is_not(None)))).all())


async def phones_elsewhere(db: AsyncSession, partner_id: uuid.UUID, phones: set[str]) -> set[str]:
    """Those of the phones on a card of another partner."""
    return set((await db.scalars(select(Client.phone).where(
        Client.phone.in_(phones), Client.partner_id != partner_id).distinct())).all())


async def phone_history(db: AsyncSession, partner_id: uuid.UUID, phones: set[str]) -> list[Row]:
    """(phone, client_id) of the partner's cards that once had one of the phones."""
    return list((await db.execute(select(ClientPhoneHistory.phone, ClientPhoneHistory.client_id).where(
        ClientPhoneHistory.partner_id == partner_id, ClientPhoneHistory.phone.in_(phones)))).all())


async def claimable_job(db: AsyncSession, now: datetime, job_id: uuid.UUID | None) -> ImportJob | None:
    """The oldest job (or the one named) waiting, or running under a lapsed lease, locked; jobs
    other workers hold locked are passed over."""
    stmt = select(ImportJob).where(or_(ImportJob.status == "pending",
                                       (ImportJob.status == "running") & (ImportJob.lease_until < now)))
    if job_id is not None:
        stmt = stmt.where(ImportJob.id == job_id)
    return (await db.scalars(stmt.order_by(ImportJob.created_at).limit(1).with_for_update(skip_locked=True))).first()


async def job(db: AsyncSession, job_id: uuid.UUID) -> ImportJob | None:
    return await db.get(ImportJob, job_id)


async def held_job_for_update(db: AsyncSession, job_id: uuid.UUID, token: uuid.UUID) -> ImportJob | None:
    """The job, locked, while `token` still holds its claim."""
    return (await db.scalars(select(ImportJob).where(ImportJob.id == job_id, ImportJob.claim_token == token)
                             .with_for_update())).first()


async def jobs(db: AsyncSession, partner_id: uuid.UUID, *, kind: str | None, status: str | None,
               cursor: Position | None, limit: int) -> tuple[list[ImportJob], Position | None]:
    """The partner's file imports, newest first."""
    filters = [column == value for column, value in ((ImportJob.kind, kind), (ImportJob.status, status)) if value]
    return await by_creation(db, select(ImportJob).where(ImportJob.partner_id == partner_id, *filters), ImportJob,
                             cursor=cursor, limit=limit, newest_first=True)
