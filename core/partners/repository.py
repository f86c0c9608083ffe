"""Read queries of partners, brands, roles, staff and API keys."""

from __future__ import annotations

import uuid

from sqlalchemy import Row, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.estate.search import contains_pattern
from core.infra.pagination import Position, by_creation
from core.models import ApiKey, Brand, Partner, Role, Staff


async def brand_by_slug(db: AsyncSession, slug: str) -> Row | None:
    """The brand an app names by its slug (its app_id): id, partner, slug and app link."""
    return (await db.execute(select(Brand.id, Brand.partner_id, Brand.slug, Brand.app_url)
                             .where(Brand.slug == slug))).first()


async def partner_brand_id(db: AsyncSession, partner_id: uuid.UUID, slug: str) -> uuid.UUID | None:
    return await db.scalar(select(Brand.id).where(Brand.slug == slug, Brand.partner_id == partner_id))


async def default_brand_of(db: AsyncSession, partner_id: uuid.UUID) -> uuid.UUID | None:
    return await db.scalar(select(Partner.default_brand_id).where(Partner.id == partner_id))


async def products_of(db: AsyncSession, partner_id: uuid.UUID) -> list[str]:
    """The partner's products (requests, marketplace, events, ...)."""
    return await db.scalar(select(Partner.products).where(Partner.id == partner_id)) or []


async def role_partner(db: AsyncSession, role_id: uuid.UUID) -> uuid.UUID | None:
    """The partner a role belongs to (None: no such role)."""
    return await db.scalar(select(Role.partner_id).where(Role.id == role_id))


async def staff_name(db: AsyncSession, staff_id: uuid.UUID) -> str | None:
    return await db.scalar(select(Staff.name).where(Staff.id == staff_id))


async def staff_login_by_email(db: AsyncSession, email: str) -> Row | None:
    """What a staff login checks of the member with this e-mail (lower case), if there is one."""
    return (await db.execute(
        select(Staff.id, Staff.partner_id, Staff.password_hash, Staff.is_active, Staff.token_version)
        .where(func.lower(Staff.email) == email)
    )).first()


async def staff_principal(db: AsyncSession, staff_id: uuid.UUID) -> Row | None:
    """A staff member's partner, state, token version and their role's permissions."""
    return (await db.execute(
        select(Staff.partner_id, Staff.is_active, Staff.token_version, Role.permissions)
        .join(Role, Role.id == Staff.role_id).where(Staff.id == staff_id)
    )).first()


async def live_api_key(db: AsyncSession, key_hash: str) -> Row | None:
    """The unrevoked API key with this hash: id, partner and when it was last used."""
    return (await db.execute(
        select(ApiKey.id, ApiKey.partner_id, ApiKey.last_used_at)
        .where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
    )).first()


async def live_api_key_partner(db: AsyncSession, key_id: uuid.UUID) -> uuid.UUID | None:
    return await db.scalar(select(ApiKey.partner_id).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None)))


async def owned_by(db: AsyncSession, model, partner_id: uuid.UUID, item_id: uuid.UUID, *, for_update: bool):
    """The partner's brand, role, staff member or API key with this id (None: not the partner's)."""
    stmt = select(model).where(model.id == item_id, model.partner_id == partner_id)
    return await db.scalar(stmt.with_for_update() if for_update else stmt)


async def of_partner(db: AsyncSession, model, partner_id: uuid.UUID, *conditions, cursor: Position | None,
                     limit: int) -> tuple[list, Position | None]:
    """The partner's API keys, staff, roles or brands meeting `conditions`, oldest first (keyset
    pagination)."""
    return await by_creation(db, select(model).where(model.partner_id == partner_id, *conditions), model,
                             cursor=cursor, limit=limit)


async def partners(db: AsyncSession, *, q: str | None, kind: str | None, cursor: Position | None,
                   limit: int) -> tuple[list[Partner], Position | None]:
    stmt = select(Partner)
    if q:
        stmt = stmt.where(Partner.name.ilike(contains_pattern(q), escape="\\"))
    if kind:
        stmt = stmt.where(Partner.kind == kind)
    return await by_creation(db, stmt, Partner, cursor=cursor, limit=limit)


async def staff(db: AsyncSession, partner_id: uuid.UUID, *, q: str | None, active: bool | None,
                cursor: Position | None, limit: int) -> tuple[list[Staff], Position | None]:
    conditions = []
    if q:
        pattern = contains_pattern(q)
        conditions.append(Staff.name.ilike(pattern, escape="\\") | Staff.email.ilike(pattern, escape="\\"))
    if active is not None:
        conditions.append(Staff.is_active.is_(active))
    return await of_partner(db, Staff, partner_id, *conditions, cursor=cursor, limit=limit)


async def api_keys(db: AsyncSession, partner_id: uuid.UUID, *, revoked: bool | None, cursor: Position | None,
                   limit: int) -> tuple[list[ApiKey], Position | None]:
    conditions = []
    if revoked is not None:
        conditions.append(ApiKey.revoked_at.is_not(None) if revoked else ApiKey.revoked_at.is_(None))
    return await of_partner(db, ApiKey, partner_id, *conditions, cursor=cursor, limit=limit)
