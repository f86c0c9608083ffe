"""Activity feeds (CRM-ACT-01): what a premise or a client took part in, newest first."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.activity import repository
from core.activity.repository import Filters
from core.models import Client, Premise
from core.infra.pagination import Position
from core.partners.service import PartnerPrincipal
from core.scope import owned


async def premise_feed(db: AsyncSession, actor: PartnerPrincipal, premise_id: uuid.UUID, filters: Filters, *,
                       cursor: Position | None, limit: int):
    await owned(db, actor, Premise, premise_id, not_found="Помещение не найдено")
    return await repository.feed(db, actor.partner_id, repository.premise_scope(premise_id), filters, cursor=cursor,
                                 limit=limit)


async def client_feed(db: AsyncSession, actor: PartnerPrincipal, client_id: uuid.UUID, filters: Filters, *,
                      cursor: Position | None, limit: int):
    await owned(db, actor, Client, client_id, not_found="Клиент не найден")
    return await repository.feed(db, actor.partner_id, repository.client_scope(client_id), filters, cursor=cursor,
                                 limit=limit)
