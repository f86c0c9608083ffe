"""What a resident's account reaches: the account is linked, by its phone, to a client card in every
partner that knows the phone; the premises of those cards are the account's premises.

Shared by the app screens and the People rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotAuthenticated, NotFound, PermissionDenied
from core.models import Account, Client, PremiseLink
from core.residents.rules import ResidentCode


@dataclass(frozen=True, slots=True)
class PremiseAccess:
    premise_id: uuid.UUID
    partner_id: uuid.UUID
    client_id: uuid.UUID
    role: str
    client_status: str
    linked_at: datetime
    added_by_staff: bool


def account_links(account_id: uuid.UUID) -> Select:
    """The account's links, earliest first (APP-PREM-01 order: the earlier linked, the higher)."""
    return (select(PremiseLink.premise_id, PremiseLink.partner_id, PremiseLink.client_id, PremiseLink.role,
                   Client.status, PremiseLink.linked_at, PremiseLink.added_by_staff_id)
            .join(Client, Client.id == PremiseLink.client_id)
            .join(Account, Account.phone == Client.phone)
            .where(Account.id == account_id)
            .order_by(PremiseLink.linked_at, PremiseLink.id))


async def accesses(db: AsyncSession, account_id: uuid.UUID) -> list[PremiseAccess]:
    rows = (await db.execute(account_links(account_id))).all()
    return [PremiseAccess(r.premise_id, r.partner_id, r.client_id, r.role, r.status, r.linked_at,
                          r.added_by_staff_id is not None) for r in rows]


async def premise_access(db: AsyncSession, account_id: uuid.UUID, premise_id: uuid.UUID) -> PremiseAccess:
    """The account's access to one premise; a premise it is not linked to is as unknown as a
    missing one (404), whoever owns it."""
    row = (await db.execute(account_links(account_id).where(PremiseLink.premise_id == premise_id))).first()
    if row is None:
        raise NotFound("Помещение не найдено")
    return PremiseAccess(row.premise_id, row.partner_id, row.client_id, row.role, row.status, row.linked_at,
                         row.added_by_staff_id is not None)


async def account_phone(db: AsyncSession, account_id: uuid.UUID) -> str:
    phone = await db.scalar(select(Account.phone).where(Account.id == account_id))
    if phone is None:
        raise NotAuthenticated("Аккаунт не найден", code=ResidentCode.ACCOUNT_MISSING)
    return phone


BLOCKED = ("Ваш доступ к созданию заявок, чату и возвратам ограничен управляющей организацией. "
           "Обратитесь в управляющую организацию")


def ensure_not_blocked(access: PremiseAccess) -> None:
    """CRM-CLI-04: a blocked client can log in and read, but cannot create requests, write to
    chat or ask for refunds."""
    if access.client_status == "blocked":
        raise PermissionDenied(BLOCKED, code=ResidentCode.CLIENT_BLOCKED)
