"""What a resident's account reaches: the account is linked, by its phone, to a client card in every
partner that knows the phone; the premises of those cards are the account's premises.

Shared by the app screens and the People rules."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import NotAuthenticated, NotFound, PermissionDenied
from core.residents import repository
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


async def accesses(db: AsyncSession, account_id: uuid.UUID) -> list[PremiseAccess]:
    """The account's accesses, earliest linked first (APP-PREM-01)."""
    return [_access(r) for r in await repository.account_links(db, account_id)]


async def premise_access(db: AsyncSession, account_id: uuid.UUID, premise_id: uuid.UUID) -> PremiseAccess:
    """The account's access to one premise; a premise it is not linked to is as unknown as a
    missing one (404), whoever owns it."""
    row = await repository.account_link(db, account_id, premise_id)
    if row is None:
        raise NotFound("Помещение не найдено")
    return _access(row)


def _access(row) -> PremiseAccess:
    return PremiseAccess(row.premise_id, row.partner_id, row.client_id, row.role, row.status, row.linked_at,
                         row.added_by_staff_id is not None)


async def account_phone(db: AsyncSession, account_id: uuid.UUID) -> str:
    phone = await repository.account_phone(db, account_id)
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
