"""Builds Purchases (APP-PURCH-01) from one SQL statement: the current brand's lots of one stage, the
count per stage tab and the showcase brands to switch to."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bff.brands.context import BRAND_JSON, CONTEXT
from bff.screens import wording
from bff.screens.purchases.lots import BRAND_LOTS, LOT_JSON
from bff.screens.purchases.schemas import (
    PurchasesEmptyState,
    PurchasesRow,
    PurchasesScreen,
    Tab,
)
from bff.sql import fetch_view
from core.auth.service import ResidentPrincipal

SQL = CONTEXT + f"""
SELECT json_build_object(
  'brand', {BRAND_JSON},
  'unified', (SELECT unified FROM pick),
  'brands', COALESCE((SELECT json_agg(json_build_object('slug', b.slug, 'name', b.name, 'icon_url', b.icon_url,
      'current', b.id IS NOT DISTINCT FROM (SELECT id FROM br)) ORDER BY b.name, b.slug)
    FROM brand b JOIN partner bp ON bp.id = b.partner_id
    WHERE 'showcase' = ANY(bp.products) AND b.partner_id IN (SELECT partner_id FROM cards)), '[]'::json),
  'counts', COALESCE((SELECT json_object_agg(stage, n) FROM (SELECT l.stage, count(*) AS n FROM ({BRAND_LOTS}) l
      GROUP BY l.stage) c), '{{}}'::json),
  'items', COALESCE((SELECT json_agg({LOT_JSON} ORDER BY x.updated_at DESC, x.id)
      FROM ({BRAND_LOTS}) x WHERE x.stage = $4::text), '[]'::json))::text"""


async def purchases_screen(db: AsyncSession, resident: ResidentPrincipal, tab: str) -> PurchasesScreen:
    row = await fetch_view(db, PurchasesRow, SQL, resident.account_id, resident.session_id, resident.app_id, tab)
    for lot in row.items:
        lot.stage_label = wording.LOT_STAGE_LABELS.get(lot.stage, lot.stage)
    products = row.brand.products if row.brand else []
    empty = None
    if not row.items:
        empty = PurchasesEmptyState(title=wording.EMPTY_LOTS_TITLE, showcase_button="showcase" in products)
    return PurchasesScreen(
        brand=row.brand, can_switch_brand=row.unified, brands=row.brands if row.unified else [],
        tabs=[Tab(key=key, title=title, count=row.counts.get(key, 0)) for key, title in wording.LOT_TABS],
        tab=tab, items=row.items, empty_state=empty)
