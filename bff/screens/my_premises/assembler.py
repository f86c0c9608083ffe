"""Builds My Premises (APP-PREM-01/02/03/05) from one SQL statement: the premises with bills due and
unread counts, pending premise requests, brands to switch to and quick pay."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from bff.brands.context import BRAND_JSON, BRANDS_JSON, CONTEXT
from bff.screens import wording
from bff.screens.my_premises.schemas import (
    EmptyState,
    MyPremisesRow,
    MyPremisesScreen,
    PremiseItem,
    QuickPay,
)
from bff.sql import fetch_view, money, utc
from core.auth.service import ResidentPrincipal
from core.estate.rules import address_sql

# What is due over the premises whose `pay` row passes a condition (APP-PREM-05).
DUE_WHERE = "(SELECT sum(d.amount) FROM due d JOIN mine pay ON pay.premise_id = d.premise_id WHERE {})"

# Bills due: what is left to pay on the premise's personal accounts the app shows. Payable online
# (APP-PREM-05): `mine.online` (bff/brands/context.py).
SQL = CONTEXT + f""", due AS (
  SELECT m.premise_id, sum(b.amount_due - b.paid) AS amount
  FROM mine m JOIN personal_account acc ON acc.premise_id = m.premise_id AND NOT acc.hidden_in_app
  JOIN bill b ON b.personal_account_id = acc.id AND b.amount_due > b.paid
  GROUP BY m.premise_id
), unread AS (
  SELECT n.premise_id, count(*) AS n FROM notification n
  WHERE n.account_id = $1::uuid AND n.read_at IS NULL AND n.premise_id IN (SELECT premise_id FROM mine)
  GROUP BY n.premise_id
)
SELECT json_build_object(
  'brand', {BRAND_JSON},
  'unified', (SELECT unified FROM pick),
  'brands', {BRANDS_JSON},
  'current_premise_id', (SELECT premise_id FROM cur),
  'total_due', {money(DUE_WHERE.format('pay.online'))},
  'not_payable_due', {money(DUE_WHERE.format('NOT pay.online'))},
  'items', COALESCE((SELECT json_agg(json_build_object(
      'id', p.id, 'address', {address_sql('p')}, 'object_name', o.name, 'object_image_url', o.image_url,
      'type', p.type, 'brand_slug', b.slug, 'brand_icon_url', b.icon_url,
      'unread_notifications', COALESCE(u.n, 0), 'bills_due', {money('d.amount')},
      'online_payment', m.online,
      'switchable', (SELECT unified OR brand_id = m.brand_id FROM pick)) ORDER BY m.pos)
    FROM mine m JOIN premise p ON p.id = m.premise_id JOIN estate_object o ON o.id = p.object_id
    LEFT JOIN brand b ON b.id = m.brand_id LEFT JOIN due d ON d.premise_id = m.premise_id
    LEFT JOIN unread u ON u.premise_id = m.premise_id), '[]'::json),
  'requests', COALESCE((SELECT json_agg(json_build_object(
      'id', r.id, 'status', r.status, 'address', r.address, 'number', r.number, 'role', r.role,
      'object_name', o.name, 'created_at', {utc('r.created_at')}) ORDER BY r.created_at, r.id)
    FROM registration_request r LEFT JOIN estate_object o ON o.id = r.object_id
    WHERE r.account_id = $1::uuid AND r.kind = 'premise_request' AND r.status = 'pending'), '[]'::json))::text"""


async def my_premises_screen(db: AsyncSession, resident: ResidentPrincipal) -> MyPremisesScreen:
    row = await fetch_view(db, MyPremisesRow, SQL, resident.account_id, resident.session_id, resident.app_id)
    items = [PremiseItem(id=p.id, address=p.address, object_name=p.object_name, object_image_url=p.object_image_url,
                         type=p.type, type_label=wording.PREMISE_TYPE_LABELS.get(p.type, p.type),
                         brand_slug=p.brand_slug, brand_icon_url=p.brand_icon_url,
                         unread_notifications=p.unread_notifications, bills_due=p.bills_due,
                         online_payment=p.online_payment, current=p.id == row.current_premise_id,
                         switchable=bool(p.switchable))
             for p in row.items]
    empty = EmptyState(title=wording.EMPTY_PREMISES_TITLE) if not items and not row.requests else None
    return MyPremisesScreen(
        brand=row.brand, can_switch_brand=row.unified, brands=row.brands if row.unified else [], items=items,
        requests=row.requests, quick_pay=QuickPay(total_due=row.total_due, payable=Decimal(row.total_due) > 0,
                           premise_ids=[i.id for i in items if i.online_payment and Decimal(i.bills_due) > 0],
                           not_payable_due=row.not_payable_due),
        empty_state=empty)
