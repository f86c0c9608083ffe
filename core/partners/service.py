"""Partners, brands, roles, staff and API keys (platform admin), and staff / API key
authentication."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import PERMISSIONS
from core import ratelimit
from core.errors import Conflict, InvalidInput, NotAuthenticated, NotFound, RateLimited
from core.models import ApiKey, Brand, Partner, Role, Staff
from core.runtime import Runtime
from core.security import hash_password, new_secret, sha256_hex, verify_password

API_KEY_PREFIX = "pk_"


@dataclass(frozen=True, slots=True)
class PartnerPrincipal:
    """Who acts on a partner's data: a staff member, or an integration's API key."""

    partner_id: uuid.UUID
    actor_type: str  # staff | api_key
    actor_id: uuid.UUID
    permissions: frozenset[str] = field(default_factory=frozenset)
    ip: str | None = None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


async def create_partner(db: AsyncSession, *, name: str, kind: str, products: list[str]) -> Partner:
    partner = Partner(name=name, kind=kind, products=sorted(set(products)))
    db.add(partner)
    await db.flush()
    return partner


async def get_partner(db: AsyncSession, partner_id: uuid.UUID) -> Partner:
    partner = await db.get(Partner, partner_id)
    if partner is None:
        raise NotFound("Партнёр не найден")
    return partner


async def update_partner(db: AsyncSession, partner_id: uuid.UUID, *, products: list[str] | None,
                         default_brand_slug: str | None) -> Partner:
    partner = await get_partner(db, partner_id)
    if products is not None:
        partner.products = sorted(set(products))
    if default_brand_slug is not None:
        brand_id = await db.scalar(select(Brand.id).where(Brand.slug == default_brand_slug,
                                                          Brand.partner_id == partner_id))
        if brand_id is None:
            raise InvalidInput.field("default_brand_slug", "У партнёра нет бренда с таким slug")
        partner.default_brand_id = brand_id
    await db.flush()
    return partner


async def create_brand(db: AsyncSession, partner_id: uuid.UUID, *, slug: str, name: str, colors: dict[str, str],
                       icon_url: str, logo_url: str | None, app_url: str | None = None) -> Brand:
    partner = await get_partner(db, partner_id)
    if await db.scalar(select(Brand.id).where(Brand.slug == slug)):
        raise Conflict("Бренд с таким slug уже существует", code="brand_slug_taken")
    brand = Brand(partner_id=partner_id, slug=slug, name=name, colors=colors, icon_url=icon_url, logo_url=logo_url,
                  app_url=app_url)
    db.add(brand)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        raise Conflict("Бренд с таким slug уже существует", code="brand_slug_taken") from None
    if partner.default_brand_id is None:
        partner.default_brand_id = brand.id
        await db.flush()
    return brand


async def create_role(db: AsyncSession, partner_id: uuid.UUID, *, name: str, permissions: list[str]) -> Role:
    await get_partner(db, partner_id)
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise InvalidInput.field("permissions", f"Неизвестные разрешения: {', '.join(unknown)}")
    role = Role(partner_id=partner_id, name=name, permissions=sorted(set(permissions)))
    db.add(role)
    await db.flush()
    return role


async def create_staff(db: AsyncSession, partner_id: uuid.UUID, *, email: str, password: str, name: str,
                       role_id: uuid.UUID) -> Staff:
    await get_partner(db, partner_id)
    role_partner = await db.scalar(select(Role.partner_id).where(Role.id == role_id))
    if role_partner != partner_id:
        raise InvalidInput.field("role_id", "У партнёра нет такой роли")
    email = email.strip().lower()
    if await db.scalar(select(Staff.id).where(func.lower(Staff.email) == email)):
        raise Conflict("Сотрудник с таким email уже существует", code="staff_email_taken")
    staff = Staff(partner_id=partner_id, email=email, password_hash=hash_password(password), name=name,
                  role_id=role_id)
    db.add(staff)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        raise Conflict("Сотрудник с таким email уже существует", code="staff_email_taken") from None
    return staff


async def create_api_key(db: AsyncSession, partner_id: uuid.UUID, *, name: str) -> tuple[ApiKey, str]:
    """Returns the stored key and its plain text, which is shown once and never stored."""
    await get_partner(db, partner_id)
    plain = API_KEY_PREFIX + new_secret(32)
    key = ApiKey(partner_id=partner_id, name=name, key_hash=sha256_hex(plain), prefix=plain[:10])
    db.add(key)
    await db.flush()
    return key, plain


def _lockout(rt: Runtime) -> ratelimit.Limit:
    return ratelimit.Limit("staff_login", rt.settings.staff_login_failures, 900)


async def staff_login(rt: Runtime, db: AsyncSession, *, email: str, password: str) -> str:
    email = email.strip().lower()
    wait = await ratelimit.is_blocked(rt, _lockout(rt), email)
    if wait:
        raise RateLimited(f"Слишком много неудачных попыток входа. Повторите через {(wait + 59) // 60} мин",
                          retry_after=wait, code="staff_login_locked")
    row = (await db.execute(
        select(Staff.id, Staff.partner_id, Staff.password_hash, Staff.is_active)
        .where(func.lower(Staff.email) == email)
    )).first()
    # The hash is verified even for an unknown email, so timing does not tell which emails exist.
    valid = verify_password(row.password_hash if row else None, password)
    if row is None or not valid or not row.is_active:
        try:
            await ratelimit.hit(rt, _lockout(rt), email)
        except RateLimited:
            pass  # this failure reached the limit: the next attempt is locked out
        raise NotAuthenticated("Неверный email или пароль", code="invalid_credentials")
    await ratelimit.forget(rt, _lockout(rt), email)
    token, _ = rt.tokens.issue({"typ": "staff", "sub": str(row.id), "pid": str(row.partner_id)},
                               rt.settings.staff_token_ttl)
    return token


async def authenticate_partner(rt: Runtime, db: AsyncSession, bearer: str, *, ip: str | None = None) -> PartnerPrincipal:
    """A staff token or a partner API key."""
    if bearer.startswith(API_KEY_PREFIX):
        row = (await db.execute(
            select(ApiKey.id, ApiKey.partner_id).where(ApiKey.key_hash == sha256_hex(bearer),
                                                       ApiKey.revoked_at.is_(None))
        )).first()
        if row is None:
            raise NotAuthenticated("Ключ API недействителен", code="invalid_api_key")
        # An integration acts for the partner as a whole.
        return PartnerPrincipal(row.partner_id, "api_key", row.id, frozenset(PERMISSIONS), ip)
    claims = rt.tokens.verify(bearer, "staff")
    try:
        staff_id = uuid.UUID(claims["sub"])
    except (KeyError, ValueError):
        raise NotAuthenticated("Токен недействителен", code="invalid_token") from None
    row = (await db.execute(
        select(Staff.partner_id, Staff.is_active, Role.permissions)
        .join(Role, Role.id == Staff.role_id).where(Staff.id == staff_id)
    )).first()
    if row is None or not row.is_active:
        raise NotAuthenticated("Учётная запись сотрудника отключена", code="staff_inactive")
    return PartnerPrincipal(row.partner_id, "staff", staff_id, frozenset(row.permissions), ip)


async def deactivate_staff(db: AsyncSession, staff_id: uuid.UUID) -> None:
    await db.execute(update(Staff).where(Staff.id == staff_id).values(is_active=False))
