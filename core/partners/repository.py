"""Read queries of partners, brands, roles, staff and API keys."""

from __future__ import annotations

import uuid

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import Brand, Staff


async def brand_by_slug(db: AsyncSession, slug: str) -> Row | None:
    """The brand an app names by its slug (its app_id): id, slug and app link."""
    return (await db.execute(select(Brand.id, Brand.slug, Brand.app_url).where(Brand.slug == slug))).first()


async def staff_name(db: AsyncSession, staff_id: uuid.UUID) -> str | None:
    return await db.scalar(select(Staff.name).where(Staff.id == staff_id))
