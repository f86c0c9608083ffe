"""Builds My Orders (APP-ORD-01..03) from one SQL statement per sort: tabs by product, active/archive
groups, unseen changes first, the empty tab's buttons."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bff.brands.context import BRAND_JSON, CONTEXT
from bff.screens import wording
from bff.screens.my_orders.schemas import (
    MyOrdersRow,
    MyOrdersScreen,
    OrderGroup,
    OrdersEmptyState,
    OrderTab,
    PremiseChoice,
)
from bff.sql import fetch_view, utc
from core.auth.service import ResidentPrincipal
from core.errors import InvalidInput, NotFound
from core.estate.rules import address_sql
from core.orders.rules import ACTIVE_STATUSES, STATUS_LABELS

_TAB_KEYS = "ARRAY[" + ", ".join(f"'{t}'" for t, _, _ in wording.ORDER_TABS) + "]"
_TAB_PRODUCTS = "ARRAY[" + ", ".join(f"'{p}'" for _, p, _ in wording.ORDER_TABS) + "]"
_ACTIVE = "ARRAY[" + ", ".join(f"'{s}'" for s in ACTIVE_STATUSES) + "]::text[]"
_UNSEEN_TABS = "ARRAY[" + ", ".join(f"'{t}'" for t in sorted(wording.UNSEEN_FIRST_TABS)) + "]::text[]"

# APP-ORD-02: the default sort groups active and archive orders and, on requests and services, lifts
# the orders with changes the client has not seen; newest and oldest drop the grouping.
ORDERINGS = {
    "default": f"(unseen AND kind = ANY({_UNSEEN_TABS})) DESC, created_at DESC, id DESC",
    "newest": "created_at DESC, id DESC",
    "oldest": "created_at ASC, id ASC",
}


def _sql(sort: str) -> str:
    group = "CASE WHEN active THEN 'active' ELSE 'archive' END" if sort == "default" else "'all'"
    return CONTEXT + f""", tab AS (
  SELECT COALESCE($5::text, (SELECT t.k FROM products, unnest({_TAB_KEYS}, {_TAB_PRODUCTS}) WITH ORDINALITY AS t(k, product, n)
    WHERE t.product = ANY(products.list) ORDER BY t.n LIMIT 1)) AS kind
), target AS (
  SELECT m.* FROM mine m WHERE m.premise_id = COALESCE($4::uuid, (SELECT premise_id FROM cur))
), orders AS (
  SELECT o.id, o.number, o.title, o.status, o.rating, o.created_at, o.kind, o.status = ANY({_ACTIVE}) AS active,
         o.changed_for_client_at IS NOT NULL
           AND (o.seen_by_client_at IS NULL OR o.seen_by_client_at < o.changed_for_client_at) AS unseen
  FROM client_order o JOIN target t ON o.client_id = t.client_id AND o.premise_id = t.premise_id
  WHERE o.kind = (SELECT kind FROM tab)
), ranked AS (
  SELECT orders.*, {group} AS grp, row_number() OVER (PARTITION BY {group} ORDER BY {ORDERINGS[sort]}) AS rn
  FROM orders
)
SELECT json_build_object(
  'brand', {BRAND_JSON},
  'products', (SELECT list FROM products),
  'tab', (SELECT kind FROM tab),
  'premise_id', (SELECT premise_id FROM target),
  'premises', COALESCE((SELECT json_agg(json_build_object('id', p.id, 'address', {address_sql('p')}) ORDER BY m.pos)
      FROM mine m JOIN premise p ON p.id = m.premise_id), '[]'::json),
  'partner_products', (SELECT pa.products FROM target JOIN partner pa ON pa.id = target.partner_id),
  'events_on', EXISTS (SELECT 1 FROM client_order e JOIN target ON e.partner_id = target.partner_id
      WHERE e.kind = 'events' AND e.status IN ('planned', 'ongoing')),
  'groups', COALESCE((SELECT json_agg(json_build_object('name', g.grp, 'total', g.total, 'items', g.items)
      ORDER BY g.grp) FROM (
        SELECT grp, count(*) AS total,
               json_agg(json_build_object('id', id, 'number', number, 'title', title, 'status', status,
                 'unseen_changes', unseen, 'rating', rating, 'created_at', {utc('created_at')}) ORDER BY rn)
                 FILTER (WHERE rn <= $6::int) AS items
        FROM ranked GROUP BY grp) g), '[]'::json))::text"""


SQL = {sort: _sql(sort) for sort in wording.ORDER_SORTS}


async def my_orders_screen(db: AsyncSession, resident: ResidentPrincipal, *, tab: str | None, sort: str,
                           premise_id: uuid.UUID | None, limit: int) -> MyOrdersScreen:
    row = await fetch_view(db, MyOrdersRow, SQL[sort], resident.account_id, resident.session_id, resident.app_id,
                           premise_id, tab, limit)
    tabs = [OrderTab(key=key, title=title) for key, title in wording.order_tabs(row.products)]
    if tab is not None and tab not in {t.key for t in tabs}:
        raise InvalidInput.field("tab", "Такой вкладки нет в приложении этого бренда")
    if premise_id is not None and row.premise_id is None:
        raise NotFound("Помещение не найдено")
    names = ("active", "archive") if sort == "default" else ("all",)
    found = {g.name: g for g in row.groups}
    groups = [found.get(name) or OrderGroup(name=name, total=0, items=[]) for name in names]
    for group in groups:
        for item in group.items:
            item.status_label = STATUS_LABELS.get(item.status, item.status)
    empty = None
    if row.tab is not None and not any(g.total for g in groups):
        partner_products = row.partner_products or []
        # APP-ORD-03: buttons to services and events, each hidden when the partner has none to offer.
        buttons = [b for b, on in (("services", "marketplace" in partner_products),
                                   ("events", "events" in partner_products and row.events_on)) if on]
        empty = OrdersEmptyState(title=wording.EMPTY_ORDERS_TITLE, buttons=buttons)
    return MyOrdersScreen(
        brand=row.brand, tabs=tabs, tab=row.tab if tabs else None, sort=sort, premise_id=row.premise_id,
        premises=[PremiseChoice(id=p.id, address=p.address, selected=p.id == row.premise_id) for p in row.premises],
        groups=groups if tabs else [], empty_state=empty)
