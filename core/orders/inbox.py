"""Reads behind the CRM's list of orders, one keyset page at a time.

The staff's orders inbox (GET /crm/v1/orders): the partner's orders with their premise and client,
filters, a search, keyset pages, and the unseen-by-staff marker — a new order from the app or a
resident's change that no staff member has opened yet."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.clock import Clock
from core.estate.repository import client_condition
from core.models import Client, Order, Premise
from core.infra.pagination import Position, keyset, page
from core.partners.service import PartnerPrincipal
from core.scope import owned
from core.estate.search import contains_pattern

ORDER_NOT_FOUND = "Заказ не найден"
SORT_COLUMNS = {"created_at": Order.created_at, "updated_at": Order.updated_at, "number": Order.number}


@dataclass(frozen=True, slots=True)
class OrderFilter:
    kind: str | None = None
    status: str | None = None
    premise_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    unseen: bool | None = None
    q: str | None = None


def unseen_by_staff():
    """A change from the app that no staff member opened after it."""
    return and_(Order.changed_for_staff_at.is_not(None),
                or_(Order.seen_by_staff_at.is_(None), Order.seen_by_staff_at < Order.changed_for_staff_at))


def is_unseen(order: Order) -> bool:
    return order.changed_for_staff_at is not None and (
        order.seen_by_staff_at is None or order.seen_by_staff_at < order.changed_for_staff_at)


async def list_orders(db: AsyncSession, actor: PartnerPrincipal, flt: OrderFilter, *, sort: str,
                      cursor: Position | None, limit: int) -> tuple[list, Position | None]:
    keys = [SORT_COLUMNS[sort.lstrip("-")], Order.id]
    stmt = (select(Order, Premise, Client, unseen_by_staff().label("unseen"),
                   *[k.label(f"k{i}") for i, k in enumerate(keys)])
            .join(Client, Client.id == Order.client_id)
            .outerjoin(Premise, Premise.id == Order.premise_id)
            .where(Order.partner_id == actor.partner_id))
    if flt.kind:
        stmt = stmt.where(Order.kind == flt.kind)
    if flt.status:
        stmt = stmt.where(Order.status == flt.status)
    if flt.premise_id:
        stmt = stmt.where(Order.premise_id == flt.premise_id)
    if flt.client_id:
        stmt = stmt.where(Order.client_id == flt.client_id)
    if flt.unseen is not None:
        stmt = stmt.where(unseen_by_staff() if flt.unseen else ~unseen_by_staff())
    text = (flt.q or "").strip()
    if text:
        # The title, the number, or the client by name or phone (masked fields are searched
        # without being shown, as in the clients list).
        found = [Order.title.ilike(contains_pattern(text))]
        if text.isdigit() and len(text) <= 9:
            found.append(Order.number == int(text))
        person = client_condition(actor, text)
        if person is not None:
            found.append(person)
        stmt = stmt.where(or_(*found))
    rows = (await db.execute(keyset(stmt, keys, cursor=cursor, limit=limit, descending=sort.startswith("-")))).all()
    return page(rows, limit, lambda r: [r.k0, r.k1])


async def open_order(db: AsyncSession, actor: PartnerPrincipal, clock: Clock, order_id: uuid.UUID) -> Order:
    """Staff open an order: whatever the resident changed counts as seen (an integration reading
    it is no staff member looking at it)."""
    order = await owned(db, actor, Order, order_id, not_found=ORDER_NOT_FOUND)
    mark_seen(order, actor, clock.now())
    await db.flush()
    return order


def mark_seen(order: Order, actor: PartnerPrincipal, now) -> None:
    if actor.actor_type == "staff":
        order.seen_by_staff_at = now
