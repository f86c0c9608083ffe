"""Objects (ЖК/buildings), object groups and quarters of a partner."""

from __future__ import annotations

import uuid
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ErrorCode, Conflict, InvalidInput, TooLarge
from core.estate import repository
from core.models import EstateObject, ObjectGroup, Quarter
from core.infra.pagination import Position
from core.partners import repository as partners
from core.partners.service import PartnerPrincipal
from core.scope import owned


# The problem codes of objects, premises and documents.
EstateCode = ErrorCode.table("EstateCode", __name__, {
    Conflict: "object_has_premises",
    TooLarge: "file_too_large",
})


OBJECT_FIELDS = ("name", "address", "postal_code", "image_url", "online_payment", "external_id")
REQUIRED = ("name", "address", "online_payment")


async def get_object(db: AsyncSession, actor: PartnerPrincipal, object_id: uuid.UUID) -> EstateObject:
    return await owned(db, actor, EstateObject, object_id, not_found="Объект не найден")


async def _apply(db: AsyncSession, actor: PartnerPrincipal, obj: EstateObject, changes: dict) -> None:
    """`changes` holds only the fields the caller sent (a PATCH leaves the others alone)."""
    for name in OBJECT_FIELDS:
        if name in changes:
            if changes[name] is None and name in REQUIRED:
                raise InvalidInput.field(name, "Поле не может быть пустым")
            setattr(obj, name, changes[name])
    if "brand_slug" in changes:
        obj.brand_id = None
        if changes["brand_slug"] is not None:
            obj.brand_id = await partners.partner_brand_id(db, actor.partner_id, changes["brand_slug"])
            if obj.brand_id is None:
                raise InvalidInput.field("brand_slug", "У партнёра нет бренда с таким slug")
    if "object_group_id" in changes:
        obj.object_group_id = await _own(db, actor, ObjectGroup, changes["object_group_id"], "object_group_id")
    if "quarter_id" in changes:
        obj.quarter_id = await _own(db, actor, Quarter, changes["quarter_id"], "quarter_id")


async def _own(db: AsyncSession, actor: PartnerPrincipal, model, value: uuid.UUID | None, field: str):
    return None if value is None else (await owned(db, actor, model, value, field=field)).id


async def create_object(db: AsyncSession, actor: PartnerPrincipal, changes: dict) -> EstateObject:
    obj = EstateObject(partner_id=actor.partner_id, online_payment=True)
    await _apply(db, actor, obj, {k: v for k, v in changes.items() if not (k == "online_payment" and v is None)})
    db.add(obj)
    await db.flush()
    return obj


async def update_object(db: AsyncSession, actor: PartnerPrincipal, object_id: uuid.UUID, changes: dict) -> EstateObject:
    obj = await get_object(db, actor, object_id)
    await _apply(db, actor, obj, changes)
    await db.flush()
    return obj


async def delete_object(db: AsyncSession, actor: PartnerPrincipal, object_id: uuid.UUID) -> None:
    obj = await get_object(db, actor, object_id)
    if await repository.has_premises(db, obj.id):
        raise Conflict("У объекта есть помещения: сначала удалите или перенесите их", code=EstateCode.OBJECT_HAS_PREMISES)
    await db.delete(obj)
    await db.flush()


async def list_objects(db: AsyncSession, actor: PartnerPrincipal, *, q: str | None, cursor: Position | None,
                       limit: int) -> tuple[list[EstateObject], Position | None]:
    return await repository.objects(db, actor.partner_id, q=q, cursor=cursor, limit=limit)


async def create_group(db: AsyncSession, actor: PartnerPrincipal, name: str) -> ObjectGroup:
    group = ObjectGroup(partner_id=actor.partner_id, name=name)
    db.add(group)
    await db.flush()
    return group


async def create_quarter(db: AsyncSession, actor: PartnerPrincipal, name: str,
                         object_group_id: uuid.UUID | None) -> Quarter:
    quarter = Quarter(partner_id=actor.partner_id, name=name,
                      object_group_id=await _own(db, actor, ObjectGroup, object_group_id, "object_group_id"))
    db.add(quarter)
    await db.flush()
    return quarter


async def list_groups(db: AsyncSession, actor: PartnerPrincipal, model) -> list:
    return await repository.groups(db, actor.partner_id, model)
