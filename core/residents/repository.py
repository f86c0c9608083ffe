"""Read queries of what a resident's account reaches: its premise links, its account row, its inbox,
the brands it may switch to and the object catalogue of premise requests (STAFF-05)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Row, Select, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.enums import UNIFIED_APP_ID
from core.estate.repository import premise_brand
from core.estate.search import contains_pattern
from core.infra.pagination import Position, keyset, page
from core.models import Account, Brand, Client, EstateObject, Notification, Partner, Premise, PremiseLink


def _account_links(account_id: uuid.UUID) -> Select:
    """The account's links, earliest first (APP-PREM-01 order: the earlier linked, the higher)."""
    return (select(PremiseLink.premise_id, PremiseLink.partner_id, PremiseLink.client_id, PremiseLink.role,
                   Client.status, PremiseLink.linked_at, PremiseLink.added_by_staff_id)
            .join(Client, Client.id == PremiseLink.client_id)
            .join(Account, Account.phone == Client.phone)
            .where(Account.id == account_id)
            .order_by(PremiseLink.linked_at, PremiseLink.id))


async def account_links(db: AsyncSession, account_id: uuid.UUID) -> list[Row]:
    return list((await db.execute(_account_links(account_id))).all())


async def account_link(db: AsyncSession, account_id: uuid.UUID, premise_id: uuid.UUID) -> Row | None:
    return (await db.execute(_account_links(account_id).where(PremiseLink.premise_id == premise_id))).first()


async def account(db: AsyncSession, account_id: uuid.UUID) -> Account | None:
    return await db.scalar(select(Account).where(Account.id == account_id))


async def account_phone(db: AsyncSession, account_id: uuid.UUID) -> str | None:
    return await db.scalar(select(Account.phone).where(Account.id == account_id))


async def first_premise_of_brand(db: AsyncSession, account_id: uuid.UUID, brand_id: uuid.UUID) -> uuid.UUID | None:
    """The account's first premise of the brand in list order (APP-PREM-01)."""
    mine = (select(PremiseLink.premise_id, PremiseLink.linked_at, PremiseLink.id)
            .join(Client, Client.id == PremiseLink.client_id).join(Account, Account.phone == Client.phone)
            .where(Account.id == account_id).subquery())
    return await db.scalar(
        select(Premise.id).join(mine, mine.c.premise_id == Premise.id)
        .join(EstateObject, EstateObject.id == Premise.object_id).join(Partner, Partner.id == Premise.partner_id)
        .where(premise_brand() == brand_id).order_by(mine.c.linked_at, mine.c.id).limit(1))


async def showcase_cards(db: AsyncSession, account_id: uuid.UUID, partner_id: uuid.UUID) -> int:
    """The account's cards at the partner when the partner runs a showcase (APP-PURCH-01)."""
    return await db.scalar(
        select(func.count()).select_from(Client).join(Account, Account.phone == Client.phone)
        .join(Partner, Partner.id == Client.partner_id)
        .where(Account.id == account_id, Client.partner_id == partner_id, Partner.products.any("showcase")))


async def inbox(db: AsyncSession, account_id: uuid.UUID, *, premise_id: uuid.UUID | None, unread_only: bool,
                cursor: Position | None, limit: int) -> tuple[list[Notification], Position | None]:
    """The account's inbox, newest first."""
    stmt = select(Notification).where(Notification.account_id == account_id)
    if premise_id is not None:
        stmt = stmt.where(Notification.premise_id == premise_id)
    if unread_only:
        stmt = stmt.where(Notification.read_at.is_(None))
    keys = [Notification.created_at, Notification.id]
    rows = (await db.scalars(keyset(stmt, keys, cursor=cursor, limit=limit, descending=True))).all()
    return page(rows, limit, lambda n: (n.created_at, n.id))


async def unread_count(db: AsyncSession, account_id: uuid.UUID) -> int:
    return await db.scalar(select(func.count()).select_from(Notification).where(
        Notification.account_id == account_id, Notification.read_at.is_(None))) or 0


async def notification(db: AsyncSession, account_id: uuid.UUID, notification_id: uuid.UUID) -> Notification | None:
    return await db.scalar(select(Notification).where(Notification.id == notification_id,
                                                      Notification.account_id == account_id))


# One expression for the catalogue's search and its trigram index (migration 0003g); written with
# an SQL literal, since an index expression would not match a bound parameter.
MAX_WORDS = 8
SEARCH_TEXT = func.lower(EstateObject.name + literal_column("' '") + EstateObject.address)


@dataclass(frozen=True, slots=True)
class CatalogueObject:
    id: uuid.UUID
    name: str
    address: str
    brand_slug: str | None
    partner_name: str


async def object_catalogue(db: AsyncSession, app_id: str, *, q: str | None, cursor: Position | None,
                           limit: int) -> tuple[list[CatalogueObject], Position | None]:
    """The objects the app offers for a premise request (STAFF-05): in the unified app every
    partner's, in a branded app its partner's; every word of `q` somewhere in the name or address,
    in keyset pages by name."""
    keys = [func.lower(EstateObject.name), EstateObject.id]
    stmt = (select(EstateObject.id, EstateObject.name, EstateObject.address, Brand.slug.label("brand_slug"),
                   Partner.name.label("partner_name"), keys[0].label("k0"))
            .join(Partner, Partner.id == EstateObject.partner_id)
            .outerjoin(Brand, Brand.id == premise_brand()))
    if app_id != UNIFIED_APP_ID:
        # A branded app's requests go to its partner: only that partner's objects are offered.
        stmt = stmt.where(EstateObject.partner_id == select(Brand.partner_id).where(Brand.slug == app_id)
                          .scalar_subquery())
    # "баумана 12" finds "ул. Баумана, 12".
    for word in (q or "").lower().split()[:MAX_WORDS]:
        stmt = stmt.where(SEARCH_TEXT.like(contains_pattern(word)))
    rows = (await db.execute(keyset(stmt, keys, cursor=cursor, limit=limit))).all()
    items, next_cursor = page(rows, limit, lambda r: [r.k0, r.id])
    return [CatalogueObject(id=r.id, name=r.name, address=r.address, brand_slug=r.brand_slug,
                            partner_name=r.partner_name) for r in items], next_cursor
