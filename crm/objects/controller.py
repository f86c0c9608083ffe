"""Objects (ЖК/buildings), object groups and quarters."""

from __future__ import annotations


from litestar import Controller, delete, get, patch, post
from sqlalchemy.ext.asyncio import AsyncSession

from core.estate import objects as service
from core.models import EstateObject, ObjectGroup, Quarter
from core.partners.service import PartnerPrincipal
from crm.objects.schemas import (CreateGroupRequest, CreateObjectRequest, GroupItem, GroupList, ObjectCard,
                                 ObjectList, UpdateObjectRequest)
from web.deps import PARTNER, PARTNER_SECURITY, Pages
from web.ids import parse_id, path_id
from core.errors import Common
from core.estate.objects import EstateCode
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Created, Cursor, Limit, changes_of

EDIT = {"permission": "premises.edit"}
IDS = ("object_group_id", "quarter_id")


def object_card(obj: EstateObject) -> ObjectCard:
    def s(value):
        return str(value) if value is not None else None

    return ObjectCard(id=str(obj.id), name=obj.name, address=obj.address, postal_code=obj.postal_code,
                      image_url=obj.image_url, brand_id=s(obj.brand_id), online_payment=obj.online_payment,
                      object_group_id=s(obj.object_group_id), quarter_id=s(obj.quarter_id),
                      external_id=obj.external_id)


class ObjectController(Controller):
    path = "/crm/v1"
    tags = ["CRM: objects"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @post("/objects", operation_id="CreateObject", opt=EDIT, responses=problems())
    async def create_object(self, actor: PartnerPrincipal, data: CreateObjectRequest, db: AsyncSession) -> Created:
        """Creates an object (ЖК or building) with its address, brand and online payment switch."""
        obj = await service.create_object(db, actor, changes_of(data, ids=IDS))
        return Created(id=str(obj.id))

    @get("/objects", operation_id="ListObjects", responses=problems())
    async def list_objects(self, actor: PartnerPrincipal, db: AsyncSession, pages: Pages, q: str | None = None,
                           cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> ObjectList:
        """The partner's objects, keyset-paginated."""
        rows, next_cursor = await service.list_objects(db, actor, q=q, cursor=pages.open(cursor), limit=limit)
        return ObjectList(items=[object_card(o) for o in rows], next_cursor=pages.seal(next_cursor))

    @get("/objects/{object_id:str}", operation_id="GetObject", responses=problems(Common.NOT_FOUND))
    async def get_object(self, actor: PartnerPrincipal, object_id: str, db: AsyncSession) -> ObjectCard:
        """One object of the partner."""
        return object_card(await service.get_object(db, actor, path_id(object_id)))

    @patch("/objects/{object_id:str}", operation_id="UpdateObject", opt=EDIT, responses=problems(Common.NOT_FOUND))
    async def update_object(self, actor: PartnerPrincipal, object_id: str, data: UpdateObjectRequest,
                     db: AsyncSession) -> ObjectCard:
        """Changes an object; its brand decides the brand of all its premises in the app."""
        return object_card(await service.update_object(db, actor, path_id(object_id), changes_of(data, ids=IDS)))

    @delete("/objects/{object_id:str}", operation_id="DeleteObject", opt=EDIT,
            responses=problems(Common.NOT_FOUND, Common.CONFLICT, EstateCode.OBJECT_HAS_PREMISES))
    async def delete_object(self, actor: PartnerPrincipal, object_id: str, db: AsyncSession) -> None:
        """Deletes an object that has no premises left (else 409)."""
        await service.delete_object(db, actor, path_id(object_id))

    @post("/object-groups", operation_id="CreateObjectGroup", opt=EDIT, responses=problems())
    async def create_group(self, actor: PartnerPrincipal, data: CreateGroupRequest, db: AsyncSession) -> Created:
        """Creates an object group (a filter of the premises list)."""
        return Created(id=str((await service.create_group(db, actor, data.name)).id))

    @get("/object-groups", operation_id="ListObjectGroups", responses=problems())
    async def list_groups(self, actor: PartnerPrincipal, db: AsyncSession) -> GroupList:
        """The partner's object groups."""
        rows = await service.list_groups(db, actor, ObjectGroup)
        return GroupList(items=[GroupItem(id=str(g.id), name=g.name) for g in rows])

    @post("/quarters", operation_id="CreateQuarter", opt=EDIT, responses=problems())
    async def create_quarter(self, actor: PartnerPrincipal, data: CreateGroupRequest, db: AsyncSession) -> Created:
        """Creates a quarter (a filter of the premises list)."""
        group = parse_id(data.object_group_id, "object_group_id") if data.object_group_id else None
        return Created(id=str((await service.create_quarter(db, actor, data.name, group)).id))

    @get("/quarters", operation_id="ListQuarters", responses=problems())
    async def list_quarters(self, actor: PartnerPrincipal, db: AsyncSession) -> GroupList:
        """The partner's quarters."""
        rows = await service.list_groups(db, actor, Quarter)
        return GroupList(items=[GroupItem(id=str(g.id), name=g.name) for g in rows])

