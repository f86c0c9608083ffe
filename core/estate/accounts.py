"""Personal accounts (лицевые счета) of premises."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import rules
from core.errors import Conflict, InvalidInput
from core.estate.premises import get_premise
from core.models import PersonalAccount
from core.partners.service import PartnerPrincipal
from core.scope import owned
from core.clients.rules import ClientCode

FIELDS = ("number", "legal_entity", "els", "external_id", "hidden_in_app")


async def get_account(db: AsyncSession, actor: PartnerPrincipal, account_id: uuid.UUID) -> PersonalAccount:
    return await owned(db, actor, PersonalAccount, account_id, not_found="Лицевой счёт не найден")


def _apply(account: PersonalAccount, changes: dict) -> None:
    for name in FIELDS:
        if name in changes:
            value = changes[name]
            if name == "els":
                value = rules.els(value)
            if value is None and name in ("number", "hidden_in_app"):
                raise InvalidInput.field(name, "Поле не может быть пустым")
            setattr(account, name, value.strip() if isinstance(value, str) else value)


async def _flush(db: AsyncSession) -> None:
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        raise Conflict("Лицевой счёт с таким внешним идентификатором уже есть", code=ClientCode.EXTERNAL_ID_TAKEN) from None


async def create_account(db: AsyncSession, actor: PartnerPrincipal, premise_id: uuid.UUID, changes: dict) -> PersonalAccount:
    premise = await get_premise(db, actor, premise_id)
    account = PersonalAccount(partner_id=actor.partner_id, premise_id=premise.id, hidden_in_app=False)
    _apply(account, {k: v for k, v in changes.items() if not (k == "hidden_in_app" and v is None)})
    db.add(account)
    await _flush(db)
    return account


async def update_account(db: AsyncSession, actor: PartnerPrincipal, account_id: uuid.UUID, changes: dict) -> PersonalAccount:
    account = await get_account(db, actor, account_id)
    _apply(account, changes)
    await _flush(db)
    return account


async def delete_account(db: AsyncSession, actor: PartnerPrincipal, account_id: uuid.UUID) -> None:
    """Its bills and meter readings go with it (database cascades)."""
    await db.delete(await get_account(db, actor, account_id))
    await db.flush()
