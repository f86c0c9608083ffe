"""Orders fed by the partner's other products (API.md data feeds)."""

from __future__ import annotations

from litestar import Controller, patch, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Order
from core.orders import service
from core.partners.service import PartnerPrincipal
from core.runtime import Runtime
from crm.orders.schemas import CreateOrderRequest, OrderCard, OrderCreated, UpdateOrderRequest
from web.deps import PARTNER, PARTNER_SECURITY
from web.ids import parse_id, path_id
from web.problems import problems
from web.schemas import changes_of


def order_card(order: Order) -> OrderCard:
    return OrderCard(id=str(order.id), number=order.number, kind=order.kind, title=order.title, status=order.status,
                     premise_id=str(order.premise_id) if order.premise_id else None, client_id=str(order.client_id),
                     staff_comment=order.staff_comment, rating=order.rating, created_at=order.created_at,
                     updated_at=order.updated_at, changed_for_client_at=order.changed_for_client_at)


class OrderController(Controller):
    path = "/crm/v1/orders"
    tags = ["CRM: data feeds"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    # An order reaches the client's phone (a push, the My Orders badge): it is client work.
    @post("/", operation_id="CreateOrder", opt={"permission": "clients.edit"}, responses=problems(400, 401, 403))
    async def create_order(self, actor: PartnerPrincipal, data: CreateOrderRequest, db: AsyncSession,
                           runtime: Runtime) -> OrderCreated:
        """APP-ORD-01: an order (request, service or event registration) fed by the partner's other products;
        needs `clients.edit`."""
        order = await service.create_order(
            db, actor, runtime.clock, kind=data.kind, premise_id=parse_id(data.premise_id, "premise_id"),
            client_id=parse_id(data.client_id, "client_id"), title=data.title, status=data.status)
        return OrderCreated(id=str(order.id), number=order.number)

    @patch("/{order_id:str}", operation_id="UpdateOrder", opt={"permission": "clients.edit"},
           responses=problems(400, 401, 403, 404))
    async def update_order(self, actor: PartnerPrincipal, order_id: str, data: UpdateOrderRequest, db: AsyncSession,
                           runtime: Runtime) -> OrderCard:
        """APP-ORD-02: a status change or staff comment: a change the client has not seen, pushed to them;
        needs `clients.edit`."""
        return order_card(await service.update_order(db, actor, runtime.clock, path_id(order_id), changes_of(data)))
