"""Merging two client cards (CRM-CLI-03, IMPORT-02C): one service for staff and import.

Everything that points at the absorbed card — premise links, the owners others depend on,
external ids, phone history, orders, activity, lots, mailings, whatever references a client —
moves to the survivor, and the absorbed card is deleted. Sessions and accounts follow the phone,
which is the survivor's."""

from __future__ import annotations

import uuid

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.audit import record
from core.clients import repository, rules
from core.clients.service import full_name
from core.models import Base, Client, PremiseLink
from core.partners.service import PartnerPrincipal
from core.clients.rules import ClientCode


def _client_references() -> list[tuple]:
    """(table, column) pairs with a foreign key to client.id, found from the schema itself, so a
    table added later is merged too. A table derived from others (the stored app use) is not
    moved: the absorbed card's row goes with it, and the survivor's follows the links it gains."""
    pairs = []
    for table in Base.metadata.sorted_tables:
        if table.info.get("derived"):
            continue
        for fk in table.foreign_keys:
            if fk.column.table.name == "client" and fk.column.name == "id":
                pairs.append((table, fk.parent))
    return pairs


def _unique_partner_columns(table, column) -> list:
    """Columns that, with `column`, form a unique constraint of `table` (the rows that would
    collide when the absorbed card's id becomes the survivor's)."""
    result = []
    for constraint in table.constraints:
        names = {c.name for c in getattr(constraint, "columns", [])}
        if constraint.__class__.__name__ == "UniqueConstraint" and column.name in names and len(names) > 1:
            result.append([table.c[n] for n in names if n != column.name])
    return result


async def _keep_strongest_links(db: AsyncSession, *, absorbed: uuid.UUID, survivor: uuid.UUID) -> None:
    """On a premise both cards are linked to, the merged card keeps the stronger link (an owner's
    over the resident's who depended on that owner): the survivor's weaker link gives way, so the
    absorbed card's link moves over below instead of being dropped as a duplicate."""
    pairs = await repository.shared_premise_links(db, absorbed=absorbed, survivor=survivor)
    weaker = [p.id for p in pairs if rules.stronger_role(p.absorbed_role, p.role)]
    if weaker:
        await db.execute(delete(PremiseLink).where(PremiseLink.id.in_(weaker)))


async def merge_clients(db: AsyncSession, actor: PartnerPrincipal, *, absorbed: Client, survivor: Client,
                        reason: str) -> Client:
    if absorbed.id == survivor.id:
        return survivor
    absorbed_name = full_name(absorbed)
    await _keep_strongest_links(db, absorbed=absorbed.id, survivor=survivor.id)
    for table, column in _client_references():
        # Rows that would collide (a premise both cards are linked to) keep the survivor's.
        for others in _unique_partner_columns(table, column):
            twin = table.alias()
            await db.execute(table.delete().where(
                column == absorbed.id,
                exists().where(and_(twin.c[column.name] == survivor.id,
                                    *[twin.c[o.name] == o for o in others]))))
        await db.execute(update(table).where(column == absorbed.id).values({column.name: survivor.id}))
    # Nobody depends on themselves: an owner depends on nobody; anyone else on another owner of
    # the premise (the shared-premise case never gets here: the stronger link was kept above).
    await db.execute(update(PremiseLink).where(PremiseLink.client_id == survivor.id,
                                               PremiseLink.depends_on_client_id == survivor.id,
                                               PremiseLink.role == "owner").values(depends_on_client_id=None))
    other = PremiseLink.__table__.alias("other_owner")
    other_owner = (select(other.c.client_id).where(
        other.c.premise_id == PremiseLink.premise_id, other.c.client_id != survivor.id, other.c.role == "owner")
        .order_by(other.c.linked_at, other.c.id).limit(1))
    await db.execute(update(PremiseLink).where(PremiseLink.client_id == survivor.id,
                                               PremiseLink.depends_on_client_id == survivor.id,
                                               other_owner.exists())
                     .values(depends_on_client_id=other_owner.scalar_subquery()))
    survivor.tags = sorted(set(survivor.tags) | set(absorbed.tags))
    await db.delete(absorbed)
    await db.flush()
    await record(db, actor, "client.merge", target_type="client", target_id=survivor.id,
                 details={"absorbed_client_id": str(absorbed.id), "absorbed_name": absorbed_name,
                          "reason": reason})
    return survivor


async def staff_merge(db: AsyncSession, actor: PartnerPrincipal, client_id: uuid.UUID, with_client_id: uuid.UUID) -> Client:
    """CRM-CLI-03: the card whose phone was being changed (A) is replaced by the found card (B):
    the premises of both are kept, A disappears, B's phone stays."""
    from core.clients.repository import has_logged_in
    from core.clients.service import PHONE_LOCKED, get_client, own_client
    from core.errors import InvalidInput, RuleViolation

    a = await get_client(db, actor, client_id)
    b = await own_client(db, actor, with_client_id, "with_client_id")
    if a.id == b.id:
        raise InvalidInput.field("with_client_id", "Нельзя объединить карточку саму с собой")
    if await has_logged_in(db, actor.partner_id, a.phone):
        raise RuleViolation(PHONE_LOCKED, code=ClientCode.PHONE_LOCKED)
    return await merge_clients(db, actor, absorbed=a, survivor=b, reason="staff")

