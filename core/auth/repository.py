"""Read queries of resident sign-in: refresh tokens with their sessions, the card an account's name
starts from. The per-request session check keeps its own reads beside its cache (service.py)."""

from __future__ import annotations

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Client, DeviceSession, RefreshToken


async def refresh_token_for_update(db: AsyncSession, token_hash: str) -> Row | None:
    """(RefreshToken, account_id, app_id, deactivated_at) of the token with this hash, the token locked."""
    return (await db.execute(
        select(RefreshToken, DeviceSession.account_id, DeviceSession.app_id, DeviceSession.deactivated_at)
        .join(DeviceSession, DeviceSession.id == RefreshToken.session_id)
        .where(RefreshToken.token_hash == token_hash)
        .with_for_update(of=RefreshToken)
    )).first()


async def newest_named_card(db: AsyncSession, phone: str) -> Row | None:
    """The name, e-mail and birth date staff last gave a card with this phone."""
    return (await db.execute(
        select(Client.last_name, Client.first_name, Client.middle_name, Client.email, Client.birth_date)
        .where(Client.phone == phone, Client.first_name.is_not(None))
        .order_by(Client.updated_at.desc()).limit(1)
    )).first()
