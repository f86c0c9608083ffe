"""Partner isolation (STAFF-04): every lookup by id is scoped to the actor's partner. An id in a
path that is unknown or another partner's answers 404; an id in a body answers 400 naming the
field. Both read the same, so another partner's ids reveal nothing."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import InvalidInput, NotFound
from core.models import Account, DeviceSession
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


def partner_sees_session(partner_id, app_id, account_id):
    """STAFF-04: a resident's device session belongs to the app it was opened in. The partner
    sees it when the app is one of its brands' white-label apps, or the unified app while the
    account has a premise of that partner; never another partner's white-label app. One SQL
    function (migration 0003c), inlined by the planner, used by every query that reads sessions,
    deliveries, visits or settings events for a partner; `app_id`/`account_id` are the session's
    (or visit's) columns."""
    return func.partner_sees_session(app_id, account_id, partner_id)


def partner_sessions(partner_id, phone):
    """The sessions (ended ones included) of the account behind `phone` that the partner sees:
    a statement over DeviceSession, to select from or aggregate."""
    return (select(DeviceSession.id).join(Account, Account.id == DeviceSession.account_id)
            .where(Account.phone == phone,
                   partner_sees_session(partner_id, DeviceSession.app_id, DeviceSession.account_id)))


def app_use_select(partner_id, phone):
    """First login and last visit of the account behind `phone` in the apps the partner sees
    (STAFF-04): one row, both NULL for a phone that never used one of them, whatever it did in
    another partner's app."""
    return (partner_sessions(partner_id, phone)
            .with_only_columns(func.min(DeviceSession.created_at).label("first_login_at"),
                               func.max(DeviceSession.last_activity_at).label("last_visit_at")))


def app_use(partner_id, phone):
    """`app_use_select` as a lateral subquery for a list: join it with `true()` after the table
    `phone` belongs to."""
    return app_use_select(partner_id, phone).lateral("app_use")
