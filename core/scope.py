"""Partner isolation (STAFF-04): every lookup by id is scoped to the actor's partner. An id in a
path that is unknown or another partner's answers 404; an id in a body answers 400 naming the
field. Both read the same, so another partner's ids reveal nothing."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput, NotFound
from core.partners.service import PartnerPrincipal

T = TypeVar("T")


async def owned(db: AsyncSession, actor: PartnerPrincipal, model: type[T], row_id: uuid.UUID | None, *,
                field: str | None = None, not_found: str = "Не найдено",
                field_message: str = "Не найдено у этого партнёра") -> T:
    """The row of `model` with this id if it belongs to the actor's partner. `field` names the
    body field the id came from (400); without it the id came from the path (404)."""
    row = await db.get(model, row_id) if row_id is not None else None
    if row is None or row.partner_id != actor.partner_id:
        if field is not None:
            raise InvalidInput.field(field, field_message)
        raise NotFound(not_found)
    return row
