"""Read queries of orders: the staff's inbox (filters, search, keyset pages, the unseen-by-staff
marker) and a resident's own order."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.estate.repository import client_condition
from core.estate.search import contains_pattern
from core.orders.inbox import unseen_by_staff
from core.infra.pagination import Position, keyset, page
from core.models import Account, Client, Order, Premise
from core.partners.service import PartnerPrincipal

SORT_COLUMNS = {"created_at": Order.created_at, "updated_at": Order.updated_at, "number": Order.number}


@dataclass(frozen=True, slots=True)
class OrderFilter:
    kind: str | None = None
    status: str | None = None
    premise_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    unseen: bool | None = None
    q: str | None = None


async def list_orders(db: AsyncSession, actor: PartnerPrincipal, flt: OrderFilter, *, sort: str,
                      cursor: Position | None, limit: int) -> tuple[list, Position | None]:
    keys = [SORT_COLUMNS[sort.lstrip("-")], Order.id]
    stmt = (select(Order, Premise, Client, unseen_by_staff().label("unseen"),
                   *[k.label(f"k{i}") for i, k in enumerate(keys)])
            .join(Client, Client.id == Order.client_id)
            .outerjoin(Premise, Premise.id == Order.premise_id)
            .where(Order.partner_id == actor.partner_id))
    if flt.kind:
        stmt = stmt.where(Order.kind == flt.kind)
    if flt.status:
        stmt = stmt.where(Order.status == flt.status)
    if flt.premise_id:
        stmt = stmt.where(Order.premise_id == flt.premise_id)
    if flt.client_id:
        stmt = stmt.where(Order.client_id == flt.client_id)
    if flt.unseen is not None:
        stmt = stmt.where(unseen_by_staff() if flt.unseen else ~unseen_by_staff())
    text = (flt.q or "").strip()
    if text:
        # The title, the number, or the client by name or phone (masked fields are searched
        # without being shown, as in the clients list).
        found = [Order.title.ilike(contains_pattern(text))]
        if text.isdigit() and len(text) <= 9:
            found.append(Order.number == int(text))
        person = client_condition(actor, text)
        if person is not None:
            found.append(person)
        stmt = stmt.where(or_(*found))
    rows = (await db.execute(keyset(stmt, keys, cursor=cursor, limit=limit, descending=sort.startswith("-")))).all()
    return page(rows, limit, lambda r: [r.k0, r.k1])


async def resident_order_for_update(db: AsyncSession, account_id: uuid.UUID, order_id: uuid.UUID) -> Order | None:
    """The order, locked, when it is of a card with the account's phone."""
    return await db.scalar(
        select(Order).join(Client, Client.id == Order.client_id).join(Account, Account.phone == Client.phone)
        .where(Order.id == order_id, Account.id == account_id).with_for_update(of=Order))
