"""Builds My Premise (APP-PREM-06) from one SQL statement: address, personal accounts and areas,
insurance and public documents; 404 unless the account is linked to the premise."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bff.screens import wording
from bff.screens.premise.schemas import PremiseRow, PremiseScreen
from bff.sql import fetch_view
from core.errors import NotFound
from core.estate.rules import address_sql

# The premise if the account is linked to it (else no row: 404, whoever owns it).
SQL = f"""
SELECT json_build_object(
  'id', p.id, 'type', p.type,
  'address', json_build_object('full', {address_sql('p')}, 'postal_code', o.postal_code),
  'tech', json_build_object(
    'personal_accounts', COALESCE((SELECT json_agg(json_build_object('number', acc.number, 'els', acc.els,
        'legal_entity', acc.legal_entity) ORDER BY acc.created_at, acc.id)
      FROM personal_account acc WHERE acc.premise_id = p.id AND NOT acc.hidden_in_app), '[]'::json),
    'total_area', p.total_area::text, 'living_area', p.living_area::text,
    'meters_count', (SELECT count(*) FROM meter WHERE meter.premise_id = p.id)),
  'insurance', COALESCE((SELECT json_agg(json_build_object('policy_number', i.policy_number, 'insurer', i.insurer,
      'starts_on', i.starts_on, 'ends_on', i.ends_on) ORDER BY i.ends_on DESC, i.id)
    FROM insurance i WHERE i.premise_id = p.id), '[]'::json),
  'documents', COALESCE((SELECT json_agg(json_build_object('id', d.id, 'name', d.name, 'description', d.description,
      'date', d.date, 'file_name', d.file_name, 'size', d.size,
      'download_url', '/app/v1/documents/' || d.id || '/file') ORDER BY d.date DESC NULLS LAST, d.created_at DESC, d.id)
    FROM document d WHERE d.premise_id = p.id AND d.is_public), '[]'::json))::text
FROM premise p JOIN estate_object o ON o.id = p.object_id
WHERE p.id = $2::uuid AND EXISTS (
  SELECT 1 FROM account a JOIN client c ON c.phone = a.phone JOIN premise_link pl ON pl.client_id = c.id
  WHERE a.id = $1::uuid AND pl.premise_id = p.id)"""


async def premise_screen(db: AsyncSession, account_id: uuid.UUID, premise_id: uuid.UUID) -> PremiseScreen:
    row = await fetch_view(db, PremiseRow, SQL, account_id, premise_id)
    if row is None:
        raise NotFound("Помещение не найдено")
    return PremiseScreen(id=row.id, title=wording.premise_title(row.type), type=row.type, address=row.address,
                         tech=row.tech, insurance=row.insurance or None, documents=row.documents)
