"""Upkeep of resident authentication: purging refresh tokens a week after they expire."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import RefreshToken
from core.infra.runtime import Runtime

# Used tokens are kept a while after expiry so that a late replay is still recognised as reuse.
KEEP_AFTER_EXPIRY = timedelta(days=7)


async def purge_refresh_tokens(rt: Runtime, db: AsyncSession) -> int:
    result = await db.execute(delete(RefreshToken).where(RefreshToken.expires_at < rt.clock.now() - KEEP_AFTER_EXPIRY))
    return result.rowcount or 0
