"""Builds the Profile (APP-PROFILE-01) from one SQL statement: the account, unread counter, entries by
the brand's products, the current premise, People and recent purchases."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bff.brands.context import BRAND_JSON, CONTEXT
from bff.screens import wording
from bff.screens.profile.schemas import (
    AccountBlock,
    CurrentPremise,
    Entries,
    PeopleBlock,
    ProfileRow,
    ProfileScreen,
    PurchasesBlock,
)
from bff.screens.purchases.lots import BRAND_LOTS, LOT_JSON
from bff.sql import fetch_view
from core.auth.service import ResidentPrincipal
from core.estate.rules import address_sql
from core.people.repository import PEOPLE_COUNT_SQL as PEOPLE_COUNT
from core.residents import rules

SQL = CONTEXT + f"""
SELECT json_build_object(
  'account', (SELECT json_build_object('type', a.type, 'last_name', a.last_name, 'first_name', a.first_name,
      'middle_name', a.middle_name, 'name', a.name, 'photo_url', a.photo_url) FROM account a WHERE a.id = $1::uuid),
  'unread', (SELECT count(*) FROM notification n WHERE n.account_id = $1::uuid AND n.read_at IS NULL),
  'brand', {BRAND_JSON},
  'products', (SELECT list FROM products),
  -- premises the app can switch to: all of them in the unified app, the app's brand's in a branded one
  'premises', (SELECT count(*) FROM mine m, pick WHERE pick.unified OR m.brand_id = pick.brand_id),
  'current', (SELECT json_build_object('id', p.id, 'address', {address_sql('p')}, 'type', p.type, 'object_name', o.name)
      FROM cur JOIN premise p ON p.id = cur.premise_id JOIN estate_object o ON o.id = p.object_id),
  'lots', COALESCE((SELECT json_agg({LOT_JSON} ORDER BY x.updated_at DESC, x.id)
      FROM (SELECT * FROM ({BRAND_LOTS}) l ORDER BY l.updated_at DESC, l.id LIMIT {wording.PROFILE_LOTS}) x), '[]'::json),
  'lots_total', (SELECT count(*) FROM ({BRAND_LOTS}) l),
  'people', {PEOPLE_COUNT})::text"""


async def profile_screen(db: AsyncSession, resident: ResidentPrincipal) -> ProfileScreen:
    row = await fetch_view(db, ProfileRow, SQL, resident.account_id, resident.session_id, resident.app_id)
    products = row.products
    current = row.current
    a = row.account
    for lot in row.lots:
        lot.stage_label = wording.LOT_STAGE_LABELS.get(lot.stage, lot.stage)
    return ProfileScreen(
        account=AccountBlock(name=rules.account_name(a.type, a.last_name, a.first_name, a.middle_name, a.name),
                             photo_url=a.photo_url),
        unread_notifications=row.unread,
        brand=row.brand,
        current_premise=None if current is None else CurrentPremise(
            id=current.id, address=current.address, type=current.type, title=wording.premise_title(current.type),
            object_name=current.object_name, can_switch=row.premises > 1),
        entries=Entries(my_orders=wording.has_my_orders(products), subscription="subscription" in products,
                        premise_info=current is not None, insurance="insurance" in products,
                        pets="pets" in products, transport="transport" in products),
        people=PeopleBlock(count=row.people, premise_id=current.id if current else None),
        purchases=PurchasesBlock(items=row.lots, total=row.lots_total) if "showcase" in products else None,
    )
