"""Orders fed by the partner's other products (API.md data feeds), and the staff's orders inbox."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, patch, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record_pii_read
from core.clients.pii import PiiPolicy
from core.clients.service import full_name
from core.estate.premises import full_address
from core.models import Order
from core.orders import inbox, repository, service
from core.partners.service import PartnerPrincipal
from core.infra.runtime import Runtime
from crm.orders.schemas import (CreateOrderRequest, OrderCard, OrderCreated, OrderKind, OrderList, OrderRow,
                                OrderSort, OrderStatus, UpdateOrderRequest)
from web.deps import PARTNER, PARTNER_SECURITY, Pages
from web.ids import parse_id, path_id
from core.errors import Common
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Cursor, Limit, changes_of


def order_card(order: Order) -> OrderCard:
    return OrderCard(id=str(order.id), number=order.number, kind=order.kind, title=order.title, status=order.status,
                     premise_id=str(order.premise_id) if order.premise_id else None, client_id=str(order.client_id),
                     staff_comment=order.staff_comment, rating=order.rating, created_at=order.created_at,
                     updated_at=order.updated_at, changed_for_client_at=order.changed_for_client_at,
                     unseen_by_staff=inbox.is_unseen(order))


async def order_rows(db: AsyncSession, actor: PartnerPrincipal, rows) -> list[OrderRow]:
    """Inbox rows of `inbox.list_orders`, the client's name and phone masked as in the clients list
    (the API's and the console's inbox alike), the revealed ones recorded as read."""
    policy = PiiPolicy.of(actor)
    await record_pii_read(db, actor, [r.Client.id for r in rows], policy.revealed)
    return [OrderRow(id=str(r.Order.id), number=r.Order.number, kind=r.Order.kind, title=r.Order.title,
                     status=r.Order.status, premise_id=str(r.Premise.id) if r.Premise else None,
                     address=full_address(r.Premise) if r.Premise else None, client_id=str(r.Client.id),
                     client_name=policy.name(full_name(r.Client)), client_phone=policy.phone(r.Client.phone),
                     created_at=r.Order.created_at, updated_at=r.Order.updated_at, unseen_by_staff=bool(r.unseen))
            for r in rows]


class OrderController(Controller):
    path = "/crm/v1/orders"
    tags = ["CRM: data feeds"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @get("/", operation_id="ListOrders", responses=problems())
    async def list_orders(
        self, actor: PartnerPrincipal, db: AsyncSession, pages: Pages, kind: OrderKind | None = None,
        status: OrderStatus | None = None, premise_id: str | None = None, client_id: str | None = None,
        unseen: bool | None = None,
        q: Annotated[str | None, Parameter(max_length=200, description="title, number, client's name or phone")] = None,
        sort: OrderSort = "-updated_at", cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT,
    ) -> OrderList:
        """The partner's orders inbox; `unseen_by_staff` marks a new order or a resident's change no
        staff member has opened yet. Client names and phones are masked as in the clients list."""
        flt = repository.OrderFilter(kind=kind, status=status, unseen=unseen, q=q,
                                premise_id=parse_id(premise_id, "premise_id") if premise_id else None,
                                client_id=parse_id(client_id, "client_id") if client_id else None)
        rows, next_cursor = await repository.list_orders(db, actor, flt, sort=sort, cursor=pages.open(cursor), limit=limit)
        items = await order_rows(db, actor, rows)
        return OrderList(items=items, next_cursor=pages.seal(next_cursor))

    @get("/{order_id:str}", operation_id="GetOrder", responses=problems(Common.NOT_FOUND))
    async def get_order(self, actor: PartnerPrincipal, order_id: str, db: AsyncSession,
                        runtime: Runtime) -> OrderCard:
        """One order; opening it marks the resident's changes seen by staff."""
        return order_card(await inbox.open_order(db, actor, runtime.clock, path_id(order_id)))

    # An order reaches the client's phone (a push, the My Orders badge): it is client work.
    @post("/", operation_id="CreateOrder", opt={"permission": "clients.edit"}, responses=problems())
    async def create_order(self, actor: PartnerPrincipal, data: CreateOrderRequest, db: AsyncSession,
                           runtime: Runtime) -> OrderCreated:
        """APP-ORD-01: an order (request, service or event registration) fed by the partner's other products;
        needs `clients.edit`."""
        order = await service.create_order(
            db, actor, runtime.clock, kind=data.kind, premise_id=parse_id(data.premise_id, "premise_id"),
            client_id=parse_id(data.client_id, "client_id"), title=data.title, status=data.status)
        return OrderCreated(id=str(order.id), number=order.number)

    @patch("/{order_id:str}", operation_id="UpdateOrder", opt={"permission": "clients.edit"},
           responses=problems(Common.NOT_FOUND))
    async def update_order(self, actor: PartnerPrincipal, order_id: str, data: UpdateOrderRequest, db: AsyncSession,
                           runtime: Runtime) -> OrderCard:
        """APP-ORD-02: a status change or staff comment: a change the client has not seen, pushed to them;
        needs `clients.edit`."""
        return order_card(await service.update_order(db, actor, runtime.clock, path_id(order_id), changes_of(data)))
