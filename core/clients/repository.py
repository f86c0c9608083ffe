"""Read queries of client cards, their external ids, tags and app use."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Client


async def client_by_id(db: AsyncSession, client_id: uuid.UUID) -> Client | None:
    return await db.get(Client, client_id)
