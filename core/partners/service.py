"""Partners, brands, roles, staff and API keys (platform admin), and staff / API key
authentication."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra import ratelimit
from core.enums import PERMISSIONS
from core.errors import (
    Conflict,
    ErrorCode,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    RateLimited,
)
from core.models import ApiKey, AuditRecord, Brand, Partner, Role, Staff
from core.infra.pagination import Position
from core.partners import repository
from core.infra.runtime import Runtime
from core.infra.security import (
    TokenCode,
    constant_time_equals,
    hash_password_off_loop,
    new_secret,
    sha256_hex,
    verify_password_off_loop,
)

# The problem codes of partners, their staff and API keys.
PartnerCode = ErrorCode.table("PartnerCode", __name__, {
    NotAuthenticated: "invalid_credentials invalid_api_key staff_inactive",
    Conflict: "brand_slug_taken staff_email_taken",
    RateLimited: "staff_login_locked staff_login_ip_limited admin_token_ip_limited",
})


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
        brand_id = await repository.partner_brand_id(db, partner_id, default_brand_slug)
        if brand_id is None:
            raise InvalidInput.field("default_brand_slug", "У партнёра нет бренда с таким slug")
        partner.default_brand_id = brand_id
    await db.flush()
    return partner


async def create_brand(db: AsyncSession, partner_id: uuid.UUID, *, slug: str, name: str, colors: dict[str, str],
                       icon_url: str, logo_url: str | None, app_url: str | None = None) -> Brand:
    partner = await get_partner(db, partner_id)
    if await repository.brand_by_slug(db, slug) is not None:
        raise Conflict("Бренд с таким slug уже существует", code=PartnerCode.BRAND_SLUG_TAKEN)
    brand = Brand(partner_id=partner_id, slug=slug, name=name, colors=colors, icon_url=icon_url, logo_url=logo_url,
                  app_url=app_url)
    db.add(brand)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        raise Conflict("Бренд с таким slug уже существует", code=PartnerCode.BRAND_SLUG_TAKEN) from None
    if partner.default_brand_id is None:
        partner.default_brand_id = brand.id
        await db.flush()
    return brand


async def create_role(db: AsyncSession, partner_id: uuid.UUID, *, name: str, permissions: list[str]) -> Role:
    await get_partner(db, partner_id)
    role = Role(partner_id=partner_id, name=name, permissions=_known_permissions(permissions))
    db.add(role)
    await db.flush()
    return role


async def create_staff(db: AsyncSession, partner_id: uuid.UUID, *, email: str, password: str, name: str,
                       role_id: uuid.UUID) -> Staff:
    await get_partner(db, partner_id)
    if await repository.role_partner(db, role_id) != partner_id:
        raise InvalidInput.field("role_id", "У партнёра нет такой роли")
    email = email.strip().lower()
    if await repository.staff_login_by_email(db, email) is not None:
        raise Conflict("Сотрудник с таким email уже существует", code=PartnerCode.STAFF_EMAIL_TAKEN)
    staff = Staff(partner_id=partner_id, email=email, password_hash=await hash_password_off_loop(password), name=name,
                  role_id=role_id)
    db.add(staff)
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        raise Conflict("Сотрудник с таким email уже существует", code=PartnerCode.STAFF_EMAIL_TAKEN) from None
    return staff


async def create_api_key(db: AsyncSession, partner_id: uuid.UUID, *, name: str) -> tuple[ApiKey, str]:
    """Returns the stored key and its plain text, which is shown once and never stored."""
    await get_partner(db, partner_id)
    plain = API_KEY_PREFIX + new_secret(32)
    key = ApiKey(partner_id=partner_id, name=name, key_hash=sha256_hex(plain), prefix=plain[:10])
    db.add(key)
    await db.flush()
    return key, plain


def is_platform_admin(rt: Runtime, token: str | None) -> bool:
    """The bootstrap token from config (PLATFORM_ADMIN_TOKEN), compared in constant time."""
    expected = rt.settings.platform_admin_token
    return token is not None and bool(expected) and constant_time_equals(token, expected)


def _admin_per_ip(rt: Runtime) -> ratelimit.Limit:
    return ratelimit.Limit("admin_token_ip", rt.settings.staff_login_per_ip_hour, 3600,
                           "Слишком много неудачных попыток входа с этого адреса. Повторите позже",
                           code=PartnerCode.ADMIN_TOKEN_IP_LIMITED)


async def admin_sign_in(rt: Runtime, token: str | None, ip: str | None) -> bool:
    """A platform admin token presented from outside (the API's bearer, the console's login form),
    limited per address like staff logins: every attempt counts before the comparison and a match
    gives its count back, so a guesser is stopped however many attempts it sends at once."""
    if ip:
        await ratelimit.hit(rt, _admin_per_ip(rt), ip)
    if not is_platform_admin(rt, token):
        return False
    if ip:
        await ratelimit.refund(rt, _admin_per_ip(rt), ip)
    return True


def _lockout(rt: Runtime) -> ratelimit.Limit:
    return ratelimit.Limit("staff_login", rt.settings.staff_login_failures, 900)


def _per_ip(rt: Runtime) -> ratelimit.Limit:
    return ratelimit.Limit("staff_login_ip", rt.settings.staff_login_per_ip_hour, 3600,
                           "Слишком много неудачных попыток входа с этого адреса. Повторите позже",
                           code=PartnerCode.STAFF_LOGIN_IP_LIMITED)


async def staff_login(rt: Runtime, db: AsyncSession, *, email: str, password: str, ip: str | None) -> str:
    """`ip` is the caller's address (None only where there is none): every door to a staff login
    passes it, so the per-address limit holds on each."""
    email = email.strip().lower()
    # Every attempt is counted as a failure before the password is checked, and a success gives
    # its counts back: attempts made at once cannot outnumber the limits together.
    if ip:
        await ratelimit.hit(rt, _per_ip(rt), ip)
    try:
        await ratelimit.hit(rt, _lockout(rt), email)
    except RateLimited as locked:
        raise RateLimited(f"Слишком много неудачных попыток входа. Повторите через {(locked.retry_after + 59) // 60} мин",
                          retry_after=locked.retry_after, code=PartnerCode.STAFF_LOGIN_LOCKED) from None
    row = await repository.staff_login_by_email(db, email)
    # The hash is verified even for an unknown email, so timing does not tell which emails exist.
    valid = await verify_password_off_loop(row.password_hash if row else None, password)
    if row is None or not valid or not row.is_active:
        raise NotAuthenticated("Неверный email или пароль", code=PartnerCode.INVALID_CREDENTIALS)
    await ratelimit.forget(rt, _lockout(rt), email)
    if ip:
        await ratelimit.refund(rt, _per_ip(rt), ip)
    token, _ = rt.tokens.issue({"typ": "staff", "sub": str(row.id), "pid": str(row.partner_id),
                                "ver": row.token_version},
                               rt.settings.staff_token_ttl)
    return token


API_KEY_TOUCH_SECONDS = 60


async def authenticate_partner(rt: Runtime, db: AsyncSession, bearer: str, *, ip: str | None = None) -> PartnerPrincipal:
    """A staff token or a partner API key. Both are looked up in the database on every request
    (nothing about them is cached), so a revoked key, a deactivated staff member or a changed
    role counts from the next request on."""
    if bearer.startswith(API_KEY_PREFIX):
        row = await repository.live_api_key(db, sha256_hex(bearer))
        if row is None:
            raise NotAuthenticated("Ключ API недействителен", code=PartnerCode.INVALID_API_KEY)
        now = rt.clock.now()
        # Written at most once a minute, so a busy integration does not write on every request; a
        # request that finds the row locked by another one of the same key leaves it to that one
        # (the lock lasts until the other request commits, which may take an import's while).
        if row.last_used_at is None or now - row.last_used_at >= timedelta(seconds=API_KEY_TOUCH_SECONDS):
            free = select(ApiKey.id).where(ApiKey.id == row.id).with_for_update(skip_locked=True).scalar_subquery()
            await db.execute(update(ApiKey).where(ApiKey.id == free).values(last_used_at=now))
        return PartnerPrincipal(row.partner_id, "api_key", row.id, frozenset(PERMISSIONS), ip)
    claims = rt.tokens.verify(bearer, "staff")
    try:
        staff_id = uuid.UUID(claims["sub"])
        version = int(claims.get("ver", 0))
    except (KeyError, ValueError, TypeError):
        raise NotAuthenticated("Токен недействителен", code=TokenCode.INVALID_TOKEN) from None
    actor = await current_principal(db, "staff", staff_id, ip=ip, token_version=version)
    if actor is None:
        raise NotAuthenticated("Учётная запись сотрудника отключена", code=PartnerCode.STAFF_INACTIVE)
    return actor


async def current_principal(db: AsyncSession, actor_type: str, actor_id: uuid.UUID, *, ip: str | None = None,
                            token_version: int | None = None) -> PartnerPrincipal | None:
    """The principal as it stands now: a staff member with their role's current permissions, or
    an unrevoked API key (every permission: an integration acts for the partner as a whole);
    None when the staff member is deactivated (or the token predates a deactivation) or the key
    revoked. A file import job asks again when it runs (STAFF-01)."""
    if actor_type == "api_key":
        partner_id = await repository.live_api_key_partner(db, actor_id)
        return None if partner_id is None else PartnerPrincipal(partner_id, "api_key", actor_id,
                                                                frozenset(PERMISSIONS), ip)
    row = await repository.staff_principal(db, actor_id)
    if row is None or not row.is_active or (token_version is not None and token_version != row.token_version):
        return None
    return PartnerPrincipal(row.partner_id, "staff", actor_id, frozenset(row.permissions), ip)


# --- what the platform admin sees and takes away ------------------------------------------------

async def _owned_by(db: AsyncSession, model, partner_id: uuid.UUID, item_id: uuid.UUID, not_found: str, *,
                    for_update: bool = True):
    """A row of the partner's, for update; another partner's answers as an unknown one (404)."""
    await get_partner(db, partner_id)
    row = await repository.owned_by(db, model, partner_id, item_id, for_update=for_update)
    if row is None:
        raise NotFound(not_found)
    return row


async def get_brand(db: AsyncSession, partner_id: uuid.UUID, brand_id: uuid.UUID) -> Brand:
    return await _owned_by(db, Brand, partner_id, brand_id, "Бренд не найден", for_update=False)


async def get_role(db: AsyncSession, partner_id: uuid.UUID, role_id: uuid.UUID) -> Role:
    return await _owned_by(db, Role, partner_id, role_id, "Роль не найдена", for_update=False)


def _audit(db: AsyncSession, partner_id: uuid.UUID, action: str, target, fields) -> None:
    """The platform admin's changes to who may do what are on the audit trail like staff actions."""
    db.add(AuditRecord(partner_id=partner_id, actor_type="admin", actor_id=None, action=action,
                       target_type=type(target).__tablename__, target_id=str(target.id), fields=sorted(fields)))


def _known_permissions(permissions: list[str]) -> list[str]:
    unknown = sorted(set(permissions) - set(PERMISSIONS))
    if unknown:
        raise InvalidInput.field("permissions", f"Неизвестные разрешения: {', '.join(unknown)}")
    return sorted(set(permissions))


async def list_of(db: AsyncSession, model, partner_id: uuid.UUID, *, cursor: Position | None,
                  limit: int) -> tuple[list, Position | None]:
    """The partner's API keys, staff, roles or brands, oldest first (keyset pagination)."""
    await get_partner(db, partner_id)
    return await repository.of_partner(db, model, partner_id, cursor=cursor, limit=limit)


async def list_partners(db: AsyncSession, *, q: str | None, kind: str | None, cursor: Position | None,
                        limit: int) -> tuple[list[Partner], Position | None]:
    """Every partner of the platform, oldest first: search by a part of the name, filter by kind."""
    return await repository.partners(db, q=q, kind=kind, cursor=cursor, limit=limit)


async def list_staff(db: AsyncSession, partner_id: uuid.UUID, *, q: str | None = None, active: bool | None = None,
                     cursor: Position | None, limit: int) -> tuple[list[Staff], Position | None]:
    """The partner's staff members: search by a part of the name or e-mail, active or not."""
    await get_partner(db, partner_id)
    return await repository.staff(db, partner_id, q=q, active=active, cursor=cursor, limit=limit)


async def list_api_keys(db: AsyncSession, partner_id: uuid.UUID, *, revoked: bool | None = None,
                        cursor: Position | None, limit: int) -> tuple[list[ApiKey], Position | None]:
    """The partner's API keys (never the keys themselves): all, the live ones or the revoked ones."""
    await get_partner(db, partner_id)
    return await repository.api_keys(db, partner_id, revoked=revoked, cursor=cursor, limit=limit)


async def revoke_api_key(rt: Runtime, db: AsyncSession, partner_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey:
    """The key is refused from the next request on; revoking it again changes nothing."""
    key = await _owned_by(db, ApiKey, partner_id, key_id, "Ключ API не найден")
    if key.revoked_at is None:
        key.revoked_at = rt.clock.now()
        _audit(db, partner_id, "api_key.revoke", key, ())
        await db.flush()
    return key


async def update_staff(db: AsyncSession, partner_id: uuid.UUID, staff_id: uuid.UUID, changes: dict) -> Staff:
    """Deactivation ends every token of the staff member at once (and for good: the token
    version moves on); a new role counts from the next request on."""
    staff = await _owned_by(db, Staff, partner_id, staff_id, "Сотрудник не найден")
    if "role_id" in changes:
        if await repository.role_partner(db, changes["role_id"]) != partner_id:
            raise InvalidInput.field("role_id", "У партнёра нет такой роли")
        staff.role_id = changes["role_id"]
    if "name" in changes:
        staff.name = changes["name"]
    if "active" in changes and changes["active"] != staff.is_active:
        if not changes["active"]:
            staff.token_version += 1
        staff.is_active = changes["active"]
    _audit(db, partner_id, "staff.update", staff, changes)
    await db.flush()
    return staff


async def update_brand(db: AsyncSession, partner_id: uuid.UUID, brand_id: uuid.UUID, changes: dict) -> Brand:
    """A brand's name, colours and links; its slug, which the app sends as its app_id, stays."""
    brand = await _owned_by(db, Brand, partner_id, brand_id, "Бренд не найден")
    for name in ("name", "colors", "icon_url", "logo_url", "app_url"):
        if name in changes:
            setattr(brand, name, changes[name])
    _audit(db, partner_id, "brand.update", brand, changes)
    await db.flush()
    return brand


async def update_role(db: AsyncSession, partner_id: uuid.UUID, role_id: uuid.UUID, changes: dict) -> Role:
    role = await _owned_by(db, Role, partner_id, role_id, "Роль не найдена")
    if "permissions" in changes:
        role.permissions = _known_permissions(changes["permissions"])
    if "name" in changes:
        role.name = changes["name"]
    _audit(db, partner_id, "role.update", role, changes)
    await db.flush()
    return role
