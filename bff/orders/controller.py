"""Orders from the app: create a request (refused to blocked clients, CRM-CLI-04), open one (marks
it seen, APP-ORD-02), rate it."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from bff.orders.schemas import CreatedOrder, CreateOrderRequest, OrderCard, RateOrderRequest
from core.auth.service import ResidentPrincipal
from core.models import Order
from core.orders import app as service
from core.orders.rules import ACTIVE_STATUSES, OrderCode, STATUS_LABELS
from core.infra.runtime import Runtime
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.ids import parse_id, path_id
from core.errors import Common
from core.residents.rules import ResidentCode
from web.problems import problems


def order_card(order: Order) -> OrderCard:
    unseen = order.changed_for_client_at is not None and (
        order.seen_by_client_at is None or order.seen_by_client_at < order.changed_for_client_at)
    return OrderCard(id=str(order.id), number=order.number, kind=order.kind, title=order.title, status=order.status,
                     status_label=STATUS_LABELS.get(order.status, order.status),
                     active=order.status in ACTIVE_STATUSES,
                     premise_id=str(order.premise_id) if order.premise_id else None,
                     staff_comment=order.staff_comment, rating=order.rating,
                     can_rate=order.status in service.RATABLE, unseen_changes=unseen,
                     created_at=order.created_at, updated_at=order.updated_at)


class AppOrderController(Controller):
    path = "/app/v1/orders"
    tags = ["App: orders"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @post("", operation_id="CreateAppOrder", responses=problems(Common.NOT_FOUND, Common.RULE_VIOLATION, OrderCode.PRODUCT_DISABLED, ResidentCode.CLIENT_BLOCKED))
    async def create(self, resident: ResidentPrincipal, data: CreateOrderRequest, db: AsyncSession,
                     runtime: Runtime) -> CreatedOrder:
        """A request to the management company on one of the account's premises. A blocked client
        gets 403 `client_blocked` (CRM-CLI-04)."""
        order = await service.create_request(db, runtime.clock, resident.account_id,
                                             premise_id=parse_id(data.premise_id, "premise_id"), kind=data.kind,
                                             title=data.title)
        return CreatedOrder(id=str(order.id), number=order.number, status=order.status)

    @get("/{order_id:str}", operation_id="GetAppOrder", responses=problems(Common.NOT_FOUND))
    async def get_order(self, resident: ResidentPrincipal, order_id: str, db: AsyncSession,
                        runtime: Runtime) -> OrderCard:
        """The order; opening it marks its changes seen."""
        return order_card(await service.open_order(db, runtime.clock, resident.account_id, path_id(order_id)))

    @post("/{order_id:str}/rating", status_code=HTTP_200_OK, operation_id="RateAppOrder",
          responses=problems(Common.NOT_FOUND, Common.RULE_VIOLATION, OrderCode.ORDER_NOT_FINISHED))
    async def rate(self, resident: ResidentPrincipal, order_id: str, data: RateOrderRequest,
                   db: AsyncSession, runtime: Runtime) -> OrderCard:
        """APP-ORD-01: rates a finished order of the account (1 to 5); an active or foreign order is refused."""
        return order_card(await service.rate_order(db, runtime.clock, resident.account_id, path_id(order_id),
                                                   data.rating))
