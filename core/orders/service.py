"""Orders from the partner's other products (requests, paid services, event registrations): numbered per partner,
mirrored in the activity feed, and every change the client should see is flagged and pushed."""

from __future__ import annotations

import uuid

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import repository as clients
from core.infra.clock import Clock
from core.models import Activity, Client, Order, OrderCounter, Premise
from core.notifications.service import push_to_client
from core.orders import inbox, rules
from core.partners.service import PartnerPrincipal
from core.scope import owned


async def next_number(db: AsyncSession, partner_id: uuid.UUID) -> int:
    """The next order number of the partner. The upsert locks the partner's counter row until
    the transaction ends, so concurrent creations queue and never share or skip a number."""
    stmt = (insert(OrderCounter).values(partner_id=partner_id, last_number=1)
            .on_conflict_do_update(index_elements=[OrderCounter.partner_id],
                                   set_={"last_number": OrderCounter.last_number + 1})
            .returning(OrderCounter.last_number))
    return (await db.execute(stmt)).scalar_one()


async def create_order(db: AsyncSession, actor: PartnerPrincipal, clock: Clock, *, kind: str, premise_id: uuid.UUID,
                       client_id: uuid.UUID, title: str, status: str) -> Order:
    await owned(db, actor, Premise, premise_id, field="premise_id")
    await owned(db, actor, Client, client_id, field="client_id")
    rules.check_status(kind, status)
    now = clock.now()
    number = await next_number(db, actor.partner_id)
    order = Order(id=uuid.uuid4(), partner_id=actor.partner_id, kind=kind, number=number, title=title, status=status,
                  premise_id=premise_id, client_id=client_id, created_at=now, updated_at=now)
    db.add(order)
    await db.flush()  # no relationships are mapped, so the activity row must not be flushed first
    if kind in rules.ACTIVITY_TYPE_OF_KIND:
        db.add(Activity(partner_id=actor.partner_id, premise_id=premise_id, client_id=client_id, order_id=order.id,
                        type=rules.ACTIVITY_TYPE_OF_KIND[kind], subject=title, status=status, occurred_at=now))
    await db.flush()
    return order


async def update_order(db: AsyncSession, actor: PartnerPrincipal, clock: Clock, order_id: uuid.UUID,
                       changes: dict) -> Order:
    order = await owned(db, actor, Order, order_id, not_found="Заказ не найден")
    now = clock.now()
    inbox.mark_seen(order, actor, now)  # staff acting on the order have seen it
    status = changes.get("status")
    if status is not None:
        rules.check_status(order.kind, status)
    status_changed = status is not None and status != order.status
    comment = changes.get("staff_comment")
    # Clearing a comment tells the client nothing new, so only a new text counts as a change.
    comment_changed = "staff_comment" in changes and comment != order.staff_comment and bool(comment)
    # Set before any query: an autoflush would otherwise let the column's onupdate (database time) win.
    order.updated_at = now
    if status_changed:
        order.status = status
        await db.execute(update(Activity).where(Activity.order_id == order.id).values(status=status))
    if "staff_comment" in changes:
        order.staff_comment = comment
    if "rating" in changes:
        order.rating = changes["rating"]
    if status_changed or comment_changed:
        # A change the client has not seen: the app lists the order first until it is opened.
        order.changed_for_client_at = now
        phone = await clients.phone_of(db, order.client_id)
        title, body = rules.change_push(order.kind, order.number, status=status if status_changed else None,
                                        comment=comment if comment_changed else None)
        await push_to_client(db, phone=phone, partner_id=order.partner_id, type=rules.PUSH_TYPE_OF_KIND[order.kind],
                             title=title, body=body, deep_link=f"app://orders/{order.id}", premise_id=order.premise_id)
    await db.flush()
    return order
