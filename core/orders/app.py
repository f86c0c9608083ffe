"""Orders as the resident app sees them: create a request from the app (CRM-CLI-04 refuses it to a
blocked client), open one (marks its changes seen, APP-ORD-02), rate a finished one."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.clock import Clock
from core.errors import NotFound, RuleViolation
from core.models import Activity, Order
from core.orders import repository, rules
from core.partners import repository as partners
from core.orders.service import next_number
from core.residents.access import ensure_not_blocked, premise_access
from core.orders.rules import OrderCode

ORDER_NOT_FOUND = "Заказ не найден"
PRODUCT_OF_KIND = {"requests": "requests", "services": "marketplace"}
RATABLE = ("done", "finished")


async def create_request(db: AsyncSession, clock: Clock, account_id: uuid.UUID, *, premise_id: uuid.UUID,
                         kind: str, title: str) -> Order:
    """A request (or service order) from the app on one of the account's premises, by the account's
    card of that partner; the CRM sees it at once, waiting."""
    access = await premise_access(db, account_id, premise_id)
    ensure_not_blocked(access)
    products = await partners.products_of(db, access.partner_id)
    if PRODUCT_OF_KIND[kind] not in products:
        raise RuleViolation("Управляющая организация не принимает такие заявки в приложении", code=OrderCode.PRODUCT_DISABLED)
    now = clock.now()
    order = Order(id=uuid.uuid4(), partner_id=access.partner_id, kind=kind,
                  number=await next_number(db, access.partner_id), title=title, status="waiting",
                  premise_id=premise_id, client_id=access.client_id, created_at=now, updated_at=now,
                  changed_for_staff_at=now)
    db.add(order)
    await db.flush()
    db.add(Activity(partner_id=access.partner_id, premise_id=premise_id, client_id=access.client_id,
                    order_id=order.id, type=rules.ACTIVITY_TYPE_OF_KIND[kind], subject=title, status="waiting",
                    occurred_at=now))
    await db.flush()
    return order


async def _own_order(db: AsyncSession, account_id: uuid.UUID, order_id: uuid.UUID) -> Order:
    order = await repository.resident_order_for_update(db, account_id, order_id)
    if order is None:
        raise NotFound(ORDER_NOT_FOUND)
    return order


async def open_order(db: AsyncSession, clock: Clock, account_id: uuid.UUID, order_id: uuid.UUID) -> Order:
    """APP-ORD-02: opening an order marks its changes seen."""
    order = await _own_order(db, account_id, order_id)
    order.seen_by_client_at = clock.now()
    await db.flush()
    return order


async def rate_order(db: AsyncSession, clock: Clock, account_id: uuid.UUID, order_id: uuid.UUID,
                     rating: int) -> Order:
    order = await _own_order(db, account_id, order_id)
    if order.status not in RATABLE:
        raise RuleViolation("Оценить можно только выполненный заказ", code=OrderCode.ORDER_NOT_FINISHED)
    order.rating = rating
    # A resident's change: the staff's inbox marks it until someone opens the order.
    order.changed_for_staff_at = clock.now()
    await db.flush()
    return order
