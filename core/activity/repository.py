"""Read queries of the activity feeds: a premise's or a client's events with their order, premise
and client, newest first, and the request counters beside them."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.estate.search import escape_like
from core.infra.pagination import Position, keyset, page
from core.models import Activity, Client, Order, Premise, PremiseLink
from core.orders.rules import ACTIVE_STATUSES


@dataclass(frozen=True, slots=True)
class Filters:
    q: str | None = None
    type: str | None = None
    status: str | None = None
    client_id: uuid.UUID | None = None
    premise_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class FeedRow:
    activity: Activity
    order: Order | None
    premise: Premise | None
    client: Client | None


@dataclass(frozen=True, slots=True)
class Counters:
    active_requests: int
    total: int


def premise_scope(premise_id: uuid.UUID):
    """A premise's feed merges all its clients: what happened on the premise, plus what its
    clients did that is tied to no premise (a call, say)."""
    linked = select(PremiseLink.client_id).where(PremiseLink.premise_id == premise_id)
    return or_(Activity.premise_id == premise_id,
               and_(Activity.premise_id.is_(None), Activity.client_id.in_(linked)))


def client_scope(client_id: uuid.UUID):
    return Activity.client_id == client_id


async def feed(db: AsyncSession, partner_id: uuid.UUID, scope, filters: Filters, *, cursor: Position | None,
               limit: int) -> tuple[list[FeedRow], str | None, Counters]:
    scoped = and_(Activity.partner_id == partner_id, scope)
    stmt = (select(Activity, Order, Premise, Client).where(scoped)
            .outerjoin(Order, Order.id == Activity.order_id)
            .outerjoin(Premise, Premise.id == Activity.premise_id)
            .outerjoin(Client, Client.id == Activity.client_id))
    if filters.q and filters.q.strip():
        escaped = escape_like(filters.q.strip().lower())
        stmt = stmt.where(func.lower(Activity.subject).like(f"%{escaped}%", escape="\\"))
    if filters.type:
        stmt = stmt.where(Activity.type == filters.type)
    if filters.status:
        stmt = stmt.where(Activity.status == filters.status)
    if filters.client_id:
        stmt = stmt.where(Activity.client_id == filters.client_id)
    if filters.premise_id:
        stmt = stmt.where(Activity.premise_id == filters.premise_id)
    keys = [Activity.occurred_at, Activity.id]
    rows = (await db.execute(keyset(stmt, keys, cursor=cursor, limit=limit, descending=True))).all()
    items, next_cursor = page(rows, limit, lambda r: (r[0].occurred_at, r[0].id))
    return [FeedRow(*row) for row in items], next_cursor, await counters(db, scoped)


async def counters(db: AsyncSession, scoped) -> Counters:
    """The badges next to the tab: requests (orders) in an active status, and all requests, of
    the whole premise or client whatever the filters."""
    is_order = Activity.order_id.is_not(None)
    row = (await db.execute(select(
        func.count().filter(is_order, Activity.status.in_(ACTIVE_STATUSES)),
        func.count().filter(is_order),
    ).where(scoped))).one()
    return Counters(active_requests=row[0], total=row[1])
