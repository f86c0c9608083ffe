"""Platform admin: partners, brands, roles, staff and API keys (bootstrap token from config)."""

from __future__ import annotations

import uuid

import msgspec
from litestar import Controller, patch, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.partners import service
from crm.admin.schemas import (ApiKeyCreated, BrandCreated, CreateApiKeyRequest, CreateBrandRequest,
                               CreatePartnerRequest, CreateRoleRequest, CreateStaffRequest, PartnerCard,
                               UpdatePartnerRequest)
from web.deps import ADMIN, ADMIN_SECURITY
from web.ids import parse_id
from web.problems import problems
from web.schemas import Created


class PlatformAdminController(Controller):
    path = "/crm/v1/partners"
    tags = ["Platform admin"]
    dependencies = ADMIN
    security = ADMIN_SECURITY

    @post("/", operation_id="CreatePartner", responses=problems(400, 401))
    async def create_partner(self, admin: bool, data: CreatePartnerRequest, db: AsyncSession) -> Created:
        partner = await service.create_partner(db, name=data.name, kind=data.kind, products=list(data.products))
        return Created(id=str(partner.id))

    @patch("/{partner_id:uuid}", operation_id="UpdatePartner", responses=problems(400, 401, 404))
    async def update_partner(self, admin: bool, partner_id: uuid.UUID, data: UpdatePartnerRequest,
                             db: AsyncSession) -> PartnerCard:
        partner = await service.update_partner(
            db, partner_id,
            products=None if data.products is msgspec.UNSET else list(data.products),
            default_brand_slug=None if data.default_brand_slug is msgspec.UNSET else data.default_brand_slug,
        )
        return PartnerCard(id=str(partner.id), name=partner.name, kind=partner.kind, products=partner.products,
                           default_brand_id=str(partner.default_brand_id) if partner.default_brand_id else None)

    @post("/{partner_id:uuid}/brands", operation_id="CreateBrand", responses=problems(400, 401, 404, 409))
    async def create_brand(self, admin: bool, partner_id: uuid.UUID, data: CreateBrandRequest,
                           db: AsyncSession) -> BrandCreated:
        brand = await service.create_brand(db, partner_id, slug=data.slug, name=data.name,
                                           colors=msgspec.structs.asdict(data.colors), icon_url=data.icon_url,
                                           logo_url=data.logo_url)
        return BrandCreated(id=str(brand.id), slug=brand.slug)

    @post("/{partner_id:uuid}/roles", operation_id="CreateRole", responses=problems(400, 401, 404))
    async def create_role(self, admin: bool, partner_id: uuid.UUID, data: CreateRoleRequest,
                          db: AsyncSession) -> Created:
        role = await service.create_role(db, partner_id, name=data.name, permissions=list(data.permissions))
        return Created(id=str(role.id))

    @post("/{partner_id:uuid}/staff", operation_id="CreateStaff", responses=problems(400, 401, 404, 409))
    async def create_staff(self, admin: bool, partner_id: uuid.UUID, data: CreateStaffRequest,
                           db: AsyncSession) -> Created:
        staff = await service.create_staff(db, partner_id, email=data.email, password=data.password,
                                           name=data.name, role_id=parse_id(data.role_id, "role_id"))
        return Created(id=str(staff.id))

    @post("/{partner_id:uuid}/api-keys", operation_id="CreateApiKey", responses=problems(400, 401, 404))
    async def create_api_key(self, admin: bool, partner_id: uuid.UUID, data: CreateApiKeyRequest,
                             db: AsyncSession) -> ApiKeyCreated:
        key, plain = await service.create_api_key(db, partner_id, name=data.name)
        return ApiKeyCreated(id=str(key.id), key=plain)
