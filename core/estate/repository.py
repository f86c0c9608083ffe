"""Read queries of objects, premises, their personal accounts and the clients linked to them."""

from __future__ import annotations

import uuid

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Client, EstateObject, PremiseLink


async def estate_object(db: AsyncSession, object_id: uuid.UUID) -> EstateObject | None:
    return await db.get(EstateObject, object_id)


async def premise_links(db: AsyncSession, premise_id: uuid.UUID) -> list[Row]:
    """(PremiseLink, Client) of every client linked to the premise, in the order they were linked."""
    return list((await db.execute(select(PremiseLink, Client).join(Client, Client.id == PremiseLink.client_id)
                                  .where(PremiseLink.premise_id == premise_id)
                                  .order_by(PremiseLink.linked_at, PremiseLink.id))).all())


async def linked_clients(db: AsyncSession, premise_ids: list[uuid.UUID]) -> list[Row]:
    """(premise_id, role, Client) of every client linked to the premises, in the order they were linked."""
    return list((await db.execute(select(PremiseLink.premise_id, PremiseLink.role, Client)
                                  .join(Client, Client.id == PremiseLink.client_id)
                                  .where(PremiseLink.premise_id.in_(premise_ids))
                                  .order_by(PremiseLink.linked_at))).all())
