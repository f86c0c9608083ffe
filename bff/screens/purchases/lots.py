"""Lots of the context brand (APP-PURCH-01), shared by Purchases and the Profile's purchases block."""

from __future__ import annotations

from bff.sql import money, utc
from core.estate.rules import premise_brand_sql

# Lots of the account's cards whose object is of the context brand, newest first.
BRAND_LOTS = f"""SELECT l.*, lo.name AS object_name FROM lot l
  JOIN cards ON cards.id = l.client_id
  JOIN estate_object lo ON lo.id = l.object_id JOIN partner lp ON lp.id = l.partner_id
  WHERE {premise_brand_sql('lo', 'lp')} = (SELECT id FROM br)"""

LOT_JSON = f"""json_build_object('id', x.id, 'title', x.title, 'stage', x.stage, 'object_name', x.object_name,
  'price', CASE WHEN x.price IS NULL THEN NULL ELSE {money('x.price')} END, 'characteristics', x.characteristics,
  'updated_at', {utc('x.updated_at')})"""
