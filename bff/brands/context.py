"""Where every screen's SQL starts: common table expressions resolving the request's premises, brand
and current premise (README: Architecture, behind the modules)."""

from __future__ import annotations

from core.enums import UNIFIED_APP_ID
from core.estate.rules import premise_brand_sql

# The account's client cards in every partner: those with its phone. The screen cache looks them up
# the same way (bff/cache.py).
ACCOUNT_CARDS = ("SELECT c.id, c.partner_id, c.status FROM account a JOIN client c ON c.phone = a.phone "
                 "WHERE a.id = $1::uuid")

CONTEXT = f"""
WITH s AS (
  SELECT current_premise_id, current_brand_id FROM device_session WHERE id = $2::uuid AND account_id = $1::uuid
), mine AS (
  SELECT pl.premise_id, pl.client_id, pl.role, c.status AS client_status, p.partner_id, p.object_id,
         {premise_brand_sql('o', 'pa')} AS brand_id,
         p.online_payment AND o.online_payment AND pl.online_payment AS online,
         row_number() OVER (ORDER BY pl.linked_at, pl.id) AS pos
  FROM account a
  JOIN client c ON c.phone = a.phone
  JOIN premise_link pl ON pl.client_id = c.id
  JOIN premise p ON p.id = pl.premise_id
  JOIN estate_object o ON o.id = p.object_id
  JOIN partner pa ON pa.id = p.partner_id
  WHERE a.id = $1::uuid
), app AS (
  SELECT $3::text = '{UNIFIED_APP_ID}' AS unified, (SELECT id FROM brand WHERE slug = $3::text) AS brand_id
), pick AS (
  SELECT CASE WHEN NOT app.unified THEN app.brand_id
              WHEN (SELECT current_brand_id FROM s) IS NOT NULL THEN (SELECT current_brand_id FROM s)
              WHEN EXISTS (SELECT 1 FROM mine m JOIN s ON m.premise_id = s.current_premise_id)
                THEN (SELECT m.brand_id FROM mine m JOIN s ON m.premise_id = s.current_premise_id)
              ELSE (SELECT m.brand_id FROM mine m ORDER BY m.pos LIMIT 1) END AS brand_id,
         app.unified
  FROM app
), cur AS (
  SELECT m.* FROM mine m, pick
  WHERE m.brand_id = pick.brand_id OR (pick.unified AND pick.brand_id IS NULL AND m.brand_id IS NULL)
  ORDER BY m.premise_id IS NOT DISTINCT FROM (SELECT current_premise_id FROM s) DESC, m.pos
  LIMIT 1
), br AS (
  SELECT b.id, b.slug, b.name, b.colors, b.icon_url, b.logo_url, bp.id AS partner_id, bp.products
  FROM pick JOIN brand b ON b.id = pick.brand_id JOIN partner bp ON bp.id = b.partner_id
), cards AS (
  {ACCOUNT_CARDS}
), products AS (
  SELECT COALESCE((SELECT products FROM br),
                  (SELECT pa.products FROM cur JOIN partner pa ON pa.id = cur.partner_id),
                  '{{}}'::text[]) AS list
)"""

BRAND_JSON = """(SELECT json_build_object('slug', br.slug, 'name', br.name, 'colors', br.colors,
  'icon_url', br.icon_url, 'logo_url', br.logo_url, 'products', br.products) FROM br)"""

# APP-PREM-03: brands where the account has a premise in operation, in list order of their first premise.
BRANDS_JSON = """COALESCE((SELECT json_agg(json_build_object('slug', b.slug, 'name', b.name, 'icon_url', b.icon_url,
  'current', b.id = (SELECT id FROM br)) ORDER BY x.first_pos)
  FROM (SELECT brand_id, min(pos) AS first_pos FROM mine WHERE brand_id IS NOT NULL GROUP BY brand_id) x
  JOIN brand b ON b.id = x.brand_id), '[]'::json)"""
