"""Partner isolation (STAFF-04): every lookup by id is scoped to the actor's partner.

An id in a path that is unknown or another partner's answers 404; an id in a body answers 400 naming
the field. Both read the same, so another partner's ids reveal nothing. Residents' device sessions,
shared by every partner whose card holds the phone, are scoped by the app they were opened in."""

from __future__ import annotations

import uuid
from typing import TypeVar

from sqlalchemy import Uuid, bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import UNIFIED_APP_ID
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


# STAFF-04: a resident's device session belongs to the app it was opened in. The partner sees it
# when the app is one of its brands' white-label apps, or the unified app while the account has a
# premise of that partner; never another partner's white-label app. One SQL fragment for every
# query that reads sessions, deliveries, visits or settings events on a partner's behalf (ORM
# statements through `partner_sees_session`, hand-written SQL through `session_seen_sql`). The
# brands are one hashed set per statement; the premise check an index lookup per row.
_SESSION_SEEN = """({app_id} IN (SELECT seen_b.slug FROM brand seen_b WHERE seen_b.partner_id = {partner_id})
  OR ({app_id} = '{unified}' AND {has_premise}))"""
# "The account has a premise of the partner": the partner's card with the account's phone (one
# per partner and phone) has a premise link.
_HAS_PREMISE = """EXISTS (
        SELECT 1 FROM account seen_a JOIN client seen_c ON seen_c.phone = seen_a.phone
        JOIN premise_link seen_l ON seen_l.client_id = seen_c.id
        WHERE seen_a.id = {account_id} AND seen_c.partner_id = {partner_id})"""
# The same where the statement already holds that card (`card_id`): no detour through the phone.
_CARD_HAS_PREMISE = "EXISTS (SELECT 1 FROM premise_link seen_l WHERE seen_l.client_id = {card_id})"


def session_seen_sql(*, app_id: str, account_id: str, partner_id: str, card_id: str | None = None) -> str:
    """The rule as SQL over the given expressions: the session's (or visit's) app id and account
    id, the partner (e.g. `:partner_id`) and, where the statement has it, the id of the partner's
    card whose phone is the account's."""
    has_premise = (_CARD_HAS_PREMISE.format(card_id=card_id) if card_id is not None
                   else _HAS_PREMISE.format(account_id=account_id, partner_id=partner_id))
    return _SESSION_SEEN.format(app_id=app_id, partner_id=partner_id, unified=UNIFIED_APP_ID,
                                has_premise=has_premise)


def partner_sees_session(partner_id, app_id: str = "device_session.app_id",
                         account_id: str = "device_session.account_id", card_id: str | None = None):
    """The rule as a condition of an ORM statement over `device_session` (unaliased)."""
    return text(session_seen_sql(app_id=app_id, account_id=account_id, partner_id=":seen_partner_id",
                                 card_id=card_id)).bindparams(bindparam("seen_partner_id", partner_id, type_=Uuid()))


def partner_sessions(partner_id, phone):
    """The sessions (ended ones included) of the account behind `phone` that the partner sees:
    a statement over DeviceSession, to select from or aggregate."""
    return (select(DeviceSession.id).join(Account, Account.id == DeviceSession.account_id)
            .where(Account.phone == phone, partner_sees_session(partner_id)))


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
