"""Mailings (PUSH-06): a push or SMS to a filtered list of a partner's clients.

Creating one writes the mailing and its recipients in the staff request's transaction; the worker
fans it out (push/mailings.py). Staff read mailings, their recipients' outcomes and a client's
mailings here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import Select, func, insert, literal, literal_column, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.clients.repository import partner_card_phone
from core.errors import InvalidInput, NotFound
from core.estate.search import contains_pattern
from core.models import Client, Mailing, MailingRecipient, Premise, PremiseLink, Staff
from core.infra.pagination import Position
from core.notifications import repository
from core.partners.service import PartnerPrincipal



@dataclass(frozen=True, slots=True)
class RecipientFilter:
    """The client filter of a mailing. To be replaced by the CRM's shared client filter."""

    client_ids: tuple[uuid.UUID, ...] = ()
    tags: tuple[str, ...] = ()
    object_ids: tuple[uuid.UUID, ...] = ()
    premise_types: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    include_blocked: bool = False

    def as_json(self) -> dict:
        return {"client_ids": [str(i) for i in self.client_ids], "tags": list(self.tags),
                "object_ids": [str(i) for i in self.object_ids], "premise_types": list(self.premise_types),
                "roles": list(self.roles), "include_blocked": self.include_blocked}


def recipients_query(partner_id: uuid.UUID, flt: RecipientFilter) -> Select:
    """The partner's clients matching the filter (one row per client)."""
    stmt = select(Client.id).where(Client.partner_id == partner_id)
    if not flt.include_blocked:
        stmt = stmt.where(Client.status == "active")
    if flt.client_ids:
        stmt = stmt.where(Client.id.in_(flt.client_ids))
    if flt.tags:
        stmt = stmt.where(Client.tags.overlap(list(flt.tags)))
    if flt.object_ids or flt.premise_types or flt.roles:
        linked = (select(PremiseLink.client_id)
                  .join(Premise, Premise.id == PremiseLink.premise_id)
                  .where(PremiseLink.partner_id == partner_id))
        if flt.object_ids:
            linked = linked.where(Premise.object_id.in_(flt.object_ids))
        if flt.premise_types:
            linked = linked.where(Premise.type.in_(flt.premise_types))
        if flt.roles:
            linked = linked.where(PremiseLink.role.in_(flt.roles))
        stmt = stmt.where(Client.id.in_(linked))
    return stmt


async def create_mailing(db: AsyncSession, actor: PartnerPrincipal, *, channel: str, title: str, body: str,
                         flt: RecipientFilter, now: datetime) -> Mailing:
    mailing = Mailing(partner_id=actor.partner_id, staff_id=actor.actor_id if actor.actor_type == "staff" else None,
                      channel=channel, title=title, body=body, filter=flt.as_json(), status="pending", created_at=now)
    db.add(mailing)
    await db.flush()
    source = recipients_query(actor.partner_id, flt).add_columns(func.gen_random_uuid(), literal(mailing.id),
                                                                  literal(now))
    result = await db.execute(insert(MailingRecipient).from_select(
        ["client_id", "id", "mailing_id", "updated_at"], source))
    mailing.recipients = result.rowcount or 0
    if mailing.recipients == 0:
        mailing.status, mailing.finished_at = "done", now
    await db.flush()
    return mailing

# ---- reading -----------------------------------------------------------------------------------

# A push recipient's status follows its deliveries: sent once any device took it.
RECIPIENT_STATUS = text("""
    CASE
      WHEN r.status <> 'queued' THEN r.status
      WHEN EXISTS (SELECT 1 FROM push_delivery d WHERE d.message_id = r.push_message_id
                   AND d.status IN ('sent', 'recorded')) THEN 'sent'
      WHEN EXISTS (SELECT 1 FROM push_delivery d WHERE d.message_id = r.push_message_id
                   AND d.status IN ('pending', 'sending')) THEN 'sending'
      WHEN NOT EXISTS (SELECT 1 FROM push_message pm WHERE pm.id = r.push_message_id
                       AND pm.fanned_out_at IS NOT NULL) THEN 'queued'
      WHEN EXISTS (SELECT 1 FROM push_delivery d WHERE d.message_id = r.push_message_id
                   AND d.status = 'failed') THEN 'failed'
      ELSE 'no_devices'
    END
""")


async def get_mailing(db: AsyncSession, actor: PartnerPrincipal, mailing_id: uuid.UUID) -> tuple[Mailing, dict]:
    mailing = await repository.mailing(db, actor.partner_id, mailing_id)
    if mailing is None:
        raise NotFound("Рассылка не найдена")
    return mailing, (await recipient_counts(db, [mailing_id])).get(mailing_id, {})


async def recipient_counts(db: AsyncSession, mailing_ids: list[uuid.UUID]) -> dict[uuid.UUID, dict[str, int]]:
    """Each mailing's recipients counted by status (a mailing without recipients is absent)."""
    if not mailing_ids:
        return {}
    rows = (await db.execute(text(f"""
        SELECT mailing_id, status, count(*) FROM (
            SELECT r.mailing_id, {RECIPIENT_STATUS.text} AS status FROM mailing_recipient r
            WHERE r.mailing_id = ANY(:ids)
        ) s GROUP BY mailing_id, status
    """), {"ids": list(mailing_ids)})).all()
    counts: dict[uuid.UUID, dict[str, int]] = {}
    for mailing_id, status, count in rows:
        counts.setdefault(mailing_id, {})[status] = count
    return counts


# The recipients' detailed statuses summed up as staff read them: still on the way, sent, failed,
# or skipped (nobody to deliver to: no app, no device, no phone).
SUMMARY_OF_STATUS = {"pending": "pending", "queued": "pending", "sending": "pending", "sent": "sent",
                     "failed": "failed"}


def summary(counts: dict[str, int]) -> dict[str, int]:
    out = {"sent": 0, "failed": 0, "skipped": 0, "pending": 0}
    for status, count in counts.items():
        out[SUMMARY_OF_STATUS.get(status, "skipped")] += count
    return out


@dataclass(frozen=True, slots=True)
class MailingRow:
    id: uuid.UUID
    channel: str
    title: str
    body: str
    status: str
    recipients: int
    staff_id: uuid.UUID | None
    staff_name: str | None
    created_at: datetime
    finished_at: datetime | None


def _mailing_filters(stmt, *, q: str | None, channel: str | None, staff_id: uuid.UUID | None):
    """PUSH-06's search by title or text, and filters by type and sender, of a statement over `Mailing`."""
    if q and q.strip():
        pattern = contains_pattern(q.strip())
        stmt = stmt.where(or_(Mailing.title.ilike(pattern), Mailing.body.ilike(pattern)))
    if channel:
        stmt = stmt.where(Mailing.channel == channel)
    if staff_id:
        stmt = stmt.where(Mailing.staff_id == staff_id)
    return stmt


async def list_mailings(db: AsyncSession, actor: PartnerPrincipal, *, q: str | None, channel: str | None,
                        status: str | None, staff_id: uuid.UUID | None, cursor: Position | None,
                        limit: int) -> tuple[list[MailingRow], Position | None]:
    """The partner's mailings, newest first: search by title/text, filter by type, status, sender."""
    from core.infra.pagination import keyset, page

    keys = [Mailing.created_at, Mailing.id]
    stmt = (select(Mailing.id, Mailing.channel, Mailing.title, Mailing.body, Mailing.status, Mailing.recipients,
                   Mailing.staff_id, Staff.name.label("staff_name"), Mailing.created_at, Mailing.finished_at)
            .outerjoin(Staff, Staff.id == Mailing.staff_id).where(Mailing.partner_id == actor.partner_id))
    stmt = _mailing_filters(stmt, q=q, channel=channel, staff_id=staff_id)
    if status:
        stmt = stmt.where(Mailing.status == status)
    rows = (await db.execute(keyset(stmt, keys, cursor=cursor, limit=limit, descending=True))).all()
    items, next_cursor = page(rows, limit, lambda r: [r.created_at, r.id])
    return [MailingRow(**r._mapping) for r in items], next_cursor


@dataclass(frozen=True, slots=True)
class ClientMailingRow:
    mailing_id: uuid.UUID
    channel: str
    title: str
    body: str
    staff_id: uuid.UUID | None
    staff_name: str | None
    status: str
    created_at: datetime


async def client_mailings(db: AsyncSession, actor: PartnerPrincipal, client_id: uuid.UUID, *, q: str | None,
                          status: str | None, channel: str | None, staff_id: uuid.UUID | None,
                          period_from: date | None, period_to: date | None, cursor: Position | None,
                          limit: int) -> tuple[list[ClientMailingRow], Position | None]:
    """PUSH-06: the mailings sent to one client, searchable by title/text and filtered by
    status, type (channel), sender and period; newest first."""
    from core.infra.pagination import keyset, page

    if await partner_card_phone(db, actor.partner_id, client_id) is None:
        raise NotFound("Клиент не найден")
    r = aliased(MailingRecipient, name="r")  # RECIPIENT_STATUS speaks of `r`
    inner = (
        select(Mailing.id.label("mailing_id"), Mailing.channel, Mailing.title, Mailing.body, Mailing.staff_id,
               Staff.name.label("staff_name"), literal_column(f"({RECIPIENT_STATUS.text})").label("status"),
               Mailing.created_at)
        .select_from(r)
        .join(Mailing, Mailing.id == r.mailing_id)
        .outerjoin(Staff, Staff.id == Mailing.staff_id)
        .where(r.client_id == client_id, Mailing.partner_id == actor.partner_id)
    )
    inner = _mailing_filters(inner, q=q, channel=channel, staff_id=staff_id)
    if period_from:
        inner = inner.where(Mailing.created_at >= datetime.combine(period_from, time.min, timezone.utc))
    if period_to:
        inner = inner.where(Mailing.created_at < datetime.combine(period_to + timedelta(days=1), time.min,
                                                                  timezone.utc))
    sub = inner.subquery()
    stmt = select(sub)
    if status:
        stmt = stmt.where(sub.c.status == status)
    stmt = keyset(stmt, [sub.c.created_at, sub.c.mailing_id], cursor=cursor, limit=limit, descending=True)
    rows = (await db.execute(stmt)).all()
    items, next_cursor = page(rows, limit, lambda r: (r.created_at, r.mailing_id))
    return [ClientMailingRow(**row._mapping) for row in items], next_cursor


def filter_from(data: dict) -> RecipientFilter:
    """Parse the API's filter object: {client_ids?, tags?, object_id?|object_ids?, premise_types?,
    roles?}."""
    from core.enums import LINK_ROLES, PREMISE_TYPES

    def ids(name: str, values) -> tuple[uuid.UUID, ...]:
        try:
            return tuple(uuid.UUID(str(v)) for v in values or ())
        except ValueError:
            raise InvalidInput.field(f"filter.{name}", "Некорректный идентификатор") from None

    object_ids = list(data.get("object_ids") or [])
    if data.get("object_id"):
        object_ids.append(data["object_id"])
    types = tuple(data.get("premise_types") or ())
    if any(t not in PREMISE_TYPES for t in types):
        raise InvalidInput.field("filter.premise_types", "Неизвестный тип помещения")
    roles = tuple(data.get("roles") or ())
    if any(r not in LINK_ROLES for r in roles):
        raise InvalidInput.field("filter.roles", "Неизвестная роль")
    return RecipientFilter(client_ids=ids("client_ids", data.get("client_ids")),
                           tags=tuple(str(t) for t in data.get("tags") or ()),
                           object_ids=ids("object_ids", object_ids), premise_types=types, roles=roles,
                           include_blocked=bool(data.get("include_blocked", False)))

