"""The My Orders screen's route (APP-ORD-01..03): tab, sort, premise and page size."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from bff.cache import SCREEN_RESIDENT, screen_answer
from bff.screens.my_orders.assembler import my_orders_screen
from bff.screens.my_orders.schemas import MyOrdersScreen
from core.auth.service import ResidentPrincipal
from core.errors import Common
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.ids import parse_id
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Limit


class MyOrdersController(Controller):
    path = "/app/v1/screens"
    tags = ["App: screens"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @get("/my-orders", operation_id="GetMyOrdersScreen", responses=problems(Common.NOT_FOUND),
         dependencies=SCREEN_RESIDENT)
    async def my_orders(self, request: Request, resident: ResidentPrincipal,
                        tab: Literal["requests", "services", "events"] | None = None,
                        sort: Literal["default", "newest", "oldest"] = "default",
                        premise_id: Annotated[str | None, Parameter(max_length=64)] = None,
                        limit: Limit = DEFAULT_LIMIT) -> Response[MyOrdersScreen]:
        """APP-ORD-01..03: tabs by product, active/archive groups, the three sorts, unseen changes,
        per premise (the current one unless `premise_id`); at most `limit` orders per group, each
        group with its total."""
        premise = parse_id(premise_id, "premise_id") if premise_id else None
        return await screen_answer(request, resident, lambda db: my_orders_screen(
            db, resident, tab=tab, sort=sort, premise_id=premise, limit=limit))
