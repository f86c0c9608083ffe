"""Platform admin: partners, brands, roles, staff and API keys (bootstrap token from config)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec
from litestar import Controller, delete, get, patch, post
from sqlalchemy.ext.asyncio import AsyncSession

from core import audit
from core.partners import service
from core.models import ApiKey, Role, Staff
from core.infra.runtime import Runtime
from crm.admin.schemas import (ApiKeyCreated, ApiKeyItem, ApiKeyList, BrandCreated, CreateApiKeyRequest,
                               CreateBrandRequest, CreatePartnerRequest, CreateRoleRequest, CreateStaffRequest,
                               PartnerCard, RoleItem, RoleList, StaffItem, StaffList, UpdatePartnerRequest,
                               UpdateRoleRequest, UpdateStaffRequest)
from web.deps import ADMIN, ADMIN_SECURITY, Pages
from web.ids import parse_id, path_id
from core.errors import Common
from core.partners.service import PartnerCode
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Created, Cursor, Limit, Output, changes_of


def api_key_item(key: ApiKey) -> ApiKeyItem:
    return ApiKeyItem(id=str(key.id), name=key.name, prefix=key.prefix, created_at=key.created_at,
                      last_used_at=key.last_used_at, revoked_at=key.revoked_at)


def staff_item(staff: Staff) -> StaffItem:
    return StaffItem(id=str(staff.id), email=staff.email, name=staff.name, role_id=str(staff.role_id),
                     active=staff.is_active, created_at=staff.created_at)


def role_item(role: Role) -> RoleItem:
    return RoleItem(id=str(role.id), name=role.name, permissions=list(role.permissions), created_at=role.created_at)


class PlatformAdminController(Controller):
    path = "/crm/v1/partners"
    tags = ["Platform admin"]
    dependencies = ADMIN
    security = ADMIN_SECURITY

    @post("/", operation_id="CreatePartner", responses=problems())
    async def create_partner(self, admin: bool, data: CreatePartnerRequest, db: AsyncSession) -> Created:
        """Platform admin: creates a partner (management company and/or developer) with its enabled products."""
        partner = await service.create_partner(db, name=data.name, kind=data.kind, products=list(data.products))
        return Created(id=str(partner.id))

    @patch("/{partner_id:uuid}", operation_id="UpdatePartner", responses=problems(Common.NOT_FOUND))
    async def update_partner(self, admin: bool, partner_id: uuid.UUID, data: UpdatePartnerRequest,
                             db: AsyncSession) -> PartnerCard:
        """Platform admin: changes a partner's products or its default brand."""
        partner = await service.update_partner(
            db, partner_id,
            products=None if data.products is msgspec.UNSET else list(data.products),
            default_brand_slug=None if data.default_brand_slug is msgspec.UNSET else data.default_brand_slug,
        )
        return PartnerCard(id=str(partner.id), name=partner.name, kind=partner.kind, products=partner.products,
                           default_brand_id=str(partner.default_brand_id) if partner.default_brand_id else None)

    @post("/{partner_id:uuid}/brands", operation_id="CreateBrand", responses=problems(Common.NOT_FOUND, Common.CONFLICT, PartnerCode.BRAND_SLUG_TAKEN))
    async def create_brand(self, admin: bool, partner_id: uuid.UUID, data: CreateBrandRequest,
                           db: AsyncSession) -> BrandCreated:
        """Platform admin: adds a brand (white-label app) to a partner: slug, name, colours, icon and logo."""
        brand = await service.create_brand(db, partner_id, slug=data.slug, name=data.name,
                                           colors=msgspec.structs.asdict(data.colors), icon_url=data.icon_url,
                                           logo_url=data.logo_url, app_url=data.app_url)
        return BrandCreated(id=str(brand.id), slug=brand.slug)

    @post("/{partner_id:uuid}/roles", operation_id="CreateRole", responses=problems(Common.NOT_FOUND))
    async def create_role(self, admin: bool, partner_id: uuid.UUID, data: CreateRoleRequest,
                          db: AsyncSession) -> Created:
        """Platform admin: a role of the partner granting a set of permissions (section 7); unknown names are
        refused."""
        role = await service.create_role(db, partner_id, name=data.name, permissions=list(data.permissions))
        return Created(id=str(role.id))

    @post("/{partner_id:uuid}/staff", operation_id="CreateStaff", responses=problems(Common.NOT_FOUND, Common.CONFLICT, PartnerCode.STAFF_EMAIL_TAKEN))
    async def create_staff(self, admin: bool, partner_id: uuid.UUID, data: CreateStaffRequest,
                           db: AsyncSession) -> Created:
        """Platform admin: a staff member of the partner with a role; the password is stored as an argon2
        hash."""
        staff = await service.create_staff(db, partner_id, email=data.email, password=data.password,
                                           name=data.name, role_id=parse_id(data.role_id, "role_id"))
        return Created(id=str(staff.id))

    @post("/{partner_id:uuid}/api-keys", operation_id="CreateApiKey", responses=problems(Common.NOT_FOUND))
    async def create_api_key(self, admin: bool, partner_id: uuid.UUID, data: CreateApiKeyRequest,
                             db: AsyncSession) -> ApiKeyCreated:
        """Platform admin: an API key for the partner's integration; the key is shown once in this answer,
        only its hash is kept."""
        key, plain = await service.create_api_key(db, partner_id, name=data.name)
        return ApiKeyCreated(id=str(key.id), key=plain)

    @get("/{partner_id:uuid}/api-keys", operation_id="ListApiKeys", responses=problems(Common.NOT_FOUND))
    async def list_api_keys(self, admin: bool, partner_id: uuid.UUID, db: AsyncSession, pages: Pages,
                            cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> ApiKeyList:
        """The partner's keys (never the keys themselves), revoked ones included."""
        rows, next_cursor = await service.list_api_keys(db, partner_id, cursor=pages.open(cursor), limit=limit)
        return ApiKeyList(items=[api_key_item(k) for k in rows], next_cursor=pages.seal(next_cursor))

    @delete("/{partner_id:uuid}/api-keys/{key_id:str}", operation_id="RevokeApiKey", responses=problems(Common.NOT_FOUND))
    async def revoke_api_key(self, admin: bool, partner_id: uuid.UUID, key_id: str, db: AsyncSession,
                             runtime: Runtime) -> None:
        """The key is refused from the next request on."""
        await service.revoke_api_key(runtime, db, partner_id, path_id(key_id))

    @get("/{partner_id:uuid}/staff", operation_id="ListStaff", responses=problems(Common.NOT_FOUND))
    async def list_staff(self, admin: bool, partner_id: uuid.UUID, db: AsyncSession, pages: Pages,
                         cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> StaffList:
        """Platform admin: the partner's staff members with their roles and whether they are active, keyset-
        paginated."""
        rows, next_cursor = await service.list_staff(db, partner_id, cursor=pages.open(cursor), limit=limit)
        return StaffList(items=[staff_item(s) for s in rows], next_cursor=pages.seal(next_cursor))

    @patch("/{partner_id:uuid}/staff/{staff_id:str}", operation_id="UpdateStaff", responses=problems(Common.NOT_FOUND))
    async def update_staff(self, admin: bool, partner_id: uuid.UUID, staff_id: str, data: UpdateStaffRequest,
                           db: AsyncSession) -> StaffItem:
        """`active: false` ends the staff member's tokens at once (and for good); a new role counts
        from the next request on."""
        staff = await service.update_staff(db, partner_id, path_id(staff_id), changes_of(data, ids=("role_id",)))
        return staff_item(staff)

    @get("/{partner_id:uuid}/roles", operation_id="ListRoles", responses=problems(Common.NOT_FOUND))
    async def list_roles(self, admin: bool, partner_id: uuid.UUID, db: AsyncSession, pages: Pages,
                         cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> RoleList:
        """Platform admin: the partner's roles with their permissions, keyset-paginated."""
        rows, next_cursor = await service.list_of(db, Role, partner_id, cursor=pages.open(cursor), limit=limit)
        return RoleList(items=[role_item(r) for r in rows], next_cursor=pages.seal(next_cursor))

    @patch("/{partner_id:uuid}/roles/{role_id:str}", operation_id="UpdateRole", responses=problems(Common.NOT_FOUND))
    async def update_role(self, admin: bool, partner_id: uuid.UUID, role_id: str, data: UpdateRoleRequest,
                          db: AsyncSession) -> RoleItem:
        """The new permissions count from the next request of every staff member with the role."""
        return role_item(await service.update_role(db, partner_id, path_id(role_id), changes_of(data)))


class AuditItem(Output, kw_only=True):
    id: str
    partner_id: str | None
    actor_type: str
    actor_id: str | None
    action: str
    target_type: str | None
    target_id: str | None
    fields: list[str]
    details: dict | None
    ip: str | None
    created_at: datetime


class AuditList(Output, kw_only=True):
    items: list[AuditItem]
    next_cursor: str | None


class AuditController(Controller):
    path = "/crm/v1/audit"
    tags = ["Platform admin"]
    dependencies = ADMIN
    security = ADMIN_SECURITY

    @get("/", operation_id="ListAuditRecords", responses=problems())
    async def list_audit(self, admin: bool, db: AsyncSession, pages: Pages, partner_id: str | None = None,
                         action: str | None = None, actor_id: str | None = None, target_id: str | None = None,
                         cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> AuditList:
        """Staff actions that changed data or read personal data: who, what, when, from where."""
        items, next_cursor = await audit.list_records(
            db, partner_id=parse_id(partner_id, "partner_id") if partner_id else None, action=action,
            actor_id=actor_id, target_id=target_id, cursor=pages.open(cursor), limit=limit)
        return AuditList(items=[AuditItem(
            id=str(r.id), partner_id=str(r.partner_id) if r.partner_id else None, actor_type=r.actor_type,
            actor_id=r.actor_id, action=r.action, target_type=r.target_type, target_id=r.target_id,
            fields=list(r.fields), details=r.details, ip=r.ip, created_at=r.created_at) for r in items],
            next_cursor=pages.seal(next_cursor))
