"""The staff's side of the orders inbox: what counts as unseen by staff (in SQL and in Python), and
opening an order, which marks what the resident changed as seen (the list: `repository.list_orders`)."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.clock import Clock
from core.models import Order
from core.partners.service import PartnerPrincipal
from core.scope import owned

ORDER_NOT_FOUND = "Заказ не найден"


def unseen_by_staff():
    """A change from the app that no staff member opened after it."""
    return and_(Order.changed_for_staff_at.is_not(None),
                or_(Order.seen_by_staff_at.is_(None), Order.seen_by_staff_at < Order.changed_for_staff_at))


def is_unseen(order: Order) -> bool:
    return order.changed_for_staff_at is not None and (
        order.seen_by_staff_at is None or order.seen_by_staff_at < order.changed_for_staff_at)


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
