"""Builds the Main / Home / Services header (APP-PREM-04) from one SQL statement, or without one when
not logged in."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bff.brands.context import CONTEXT
from bff.screens import wording
from bff.screens.header.schemas import HeaderRow, HeaderScreen
from bff.sql import fetch_view
from core.auth.service import ResidentPrincipal
from core.estate.rules import address_sql

SQL = CONTEXT + f"""
SELECT json_build_object(
  'has_premises', EXISTS (SELECT 1 FROM mine),
  'current_premise_id', (SELECT premise_id FROM cur),
  'address', (SELECT {address_sql('p')} FROM cur JOIN premise p ON p.id = cur.premise_id))::text"""


async def header_screen(db: AsyncSession, resident: ResidentPrincipal | None, screen: str) -> HeaderScreen:
    if resident is None:
        title, kind, action = wording.header(screen, logged_in=False, has_premises=False, current_address=None)
        return HeaderScreen(title=title, kind=kind, action=action)
    row = await fetch_view(db, HeaderRow, SQL, resident.account_id, resident.session_id, resident.app_id)
    title, kind, action = wording.header(screen, logged_in=True, has_premises=row.has_premises,
                                       current_address=row.address)
    return HeaderScreen(title=title, kind=kind, action=action,
                        current_premise_id=row.current_premise_id if kind == "premise" else None)
