"""Which objects the app offers for a premise request (STAFF-05), searched and paged.

The object catalogue the app picks a premise request's object from (STAFF-05): in the unified app
every partner's objects, in a branded app its partner's; searched by any part of the name or
address, in keyset pages by name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import UNIFIED_APP_ID
from core.estate.search import contains_pattern
from core.models import Brand, EstateObject, Partner
from core.infra.pagination import Position, keyset, page
from core.residents.context import premise_brand

# One expression for the search and its trigram index (migration 0003g); written with an SQL
# literal, since an index expression would not match a bound parameter.
MAX_WORDS = 8
SEARCH_TEXT = func.lower(EstateObject.name + literal_column("' '") + EstateObject.address)


@dataclass(frozen=True, slots=True)
class CatalogueObject:
    id: uuid.UUID
    name: str
    address: str
    brand_slug: str | None
    partner_name: str


async def object_catalogue(db: AsyncSession, app_id: str, *, q: str | None, cursor: Position | None,
                           limit: int) -> tuple[list[CatalogueObject], Position | None]:
    keys = [func.lower(EstateObject.name), EstateObject.id]
    stmt = (select(EstateObject.id, EstateObject.name, EstateObject.address, Brand.slug.label("brand_slug"),
                   Partner.name.label("partner_name"), keys[0].label("k0"))
            .join(Partner, Partner.id == EstateObject.partner_id)
            .outerjoin(Brand, Brand.id == premise_brand()))
    if app_id != UNIFIED_APP_ID:
        # A branded app's requests go to its partner: only that partner's objects are offered.
        stmt = stmt.where(EstateObject.partner_id == select(Brand.partner_id).where(Brand.slug == app_id)
                          .scalar_subquery())
    # Every word of the query somewhere in the name or address ("баумана 12" finds "ул. Баумана, 12").
    for word in (q or "").lower().split()[:MAX_WORDS]:
        stmt = stmt.where(SEARCH_TEXT.like(contains_pattern(word)))
    rows = (await db.execute(keyset(stmt, keys, cursor=cursor, limit=limit))).all()
    items, next_cursor = page(rows, limit, lambda r: [r.k0, r.id])
    return [CatalogueObject(id=r.id, name=r.name, address=r.address, brand_slug=r.brand_slug,
                            partner_name=r.partner_name) for r in items], next_cursor
