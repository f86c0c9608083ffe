"""The object catalogue of premise requests (STAFF-05)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from bff.objects.schemas import CatalogueItem, ObjectCatalogue
from core.auth.service import ResidentPrincipal
from core.residents.repository import object_catalogue
from web.deps import RESIDENT, RESIDENT_SECURITY, Pages
from web.problems import problems
from web.schemas import Cursor

MAX_PAGE = 50


class ObjectCatalogueController(Controller):
    path = "/app/v1/objects"
    tags = ["App: premises"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @get("", operation_id="ListCatalogueObjects", responses=problems())
    async def catalogue(
        self, resident: ResidentPrincipal, db: AsyncSession, pages: Pages,
        q: Annotated[str | None, Parameter(max_length=100, description="any part of the name or address")] = None,
        cursor: Cursor = None,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description=f"page size, at most {MAX_PAGE}")] = 20,
    ) -> ObjectCatalogue:
        """The objects a premise request may name: every partner's in the unified app, the app's
        partner's in a branded one."""
        rows, next_cursor = await object_catalogue(db, resident.app_id, q=q, cursor=pages.open(cursor), limit=limit)
        return ObjectCatalogue(items=[CatalogueItem(id=str(r.id), name=r.name, address=r.address,
                                                    brand_slug=r.brand_slug, partner_name=r.partner_name)
                                      for r in rows], next_cursor=pages.seal(next_cursor))
