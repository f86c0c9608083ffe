"""Client cards of a partner (CRM-CLI-01..04, STAFF-02/03)."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import and_, bindparam, delete, exists, func, literal, literal_column, or_, select, true, union
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import repository, rules
from core.clients.pii import PiiPolicy
from core.errors import Conflict, InvalidInput, PermissionDenied, RuleViolation
from core.estate.repository import client_condition, phone_contains, prefix_pattern
from core.estate.search import parse_person_query
from core.models import Account, Client, ClientAppUse, ClientExternalId, ClientPhoneHistory, Premise, PremiseLink
from core.infra.pagination import Position, keyset, page
from core.partners.service import PartnerPrincipal
from core.scope import app_use, owned
from core.phones import normalize_phone
from core.clients.rules import ClientCode

PLAIN_FIELDS = ("type", "tax_form", "organization_name", "email", "gender", "passport", "registration_address",
                "loyalty_card", "note", "status", "is_tester")
NAME_FIELDS = ("last_name", "first_name", "middle_name")
SORTS = ("name", "-name", "phone", "-phone", "last_visit", "-last_visit")
# Up to this many cards matching a phone fragment are found by the phone index first and sorted;
# a fragment matching more is common enough that walking the name order finds a page at once.
PHONE_MATCHES = 1_000
PHONE_LOCKED = "Невозможно изменить номер телефона, так как клиент уже выполнил вход в личный кабинет"


@dataclass(slots=True)
class ClientFilter:
    q: str | None = None
    status: str | None = None
    type: str | None = None
    tag: str | None = None
    premise_id: uuid.UUID | None = None
    object_id: uuid.UUID | None = None
    ids: list[uuid.UUID] = field(default_factory=list)


def full_name(client: Client) -> str:
    if client.type in ("legal_entity", "foreign_branch") and client.organization_name:
        return client.organization_name
    return " ".join(p for p in (client.last_name, client.first_name, client.middle_name) if p) or ""


async def get_client(db: AsyncSession, actor: PartnerPrincipal, client_id: uuid.UUID) -> Client:
    return await owned(db, actor, Client, client_id, not_found="Клиент не найден")


async def own_client(db: AsyncSession, actor: PartnerPrincipal, client_id: uuid.UUID, field_name: str) -> Client:
    """A client named in a request body: another partner's is as unknown as a missing one."""
    return await owned(db, actor, Client, client_id, field=field_name,
                       field_message="Клиент не найден у этого партнёра")


@dataclass(frozen=True, slots=True)
class AppUse:
    """The app-side facts a partner may see of a card's phone: its first login and last visit in
    the apps the partner sees (STAFF-04), and the account when there is such a login."""
    first_login_at: datetime | None
    last_visit_at: datetime | None
    account: Account | None


async def app_use_of(db: AsyncSession, partner_id: uuid.UUID, phone: str | None) -> AppUse:
    if not phone:
        return AppUse(None, None, None)
    first, last = await repository.app_use(db, partner_id, phone)
    account = await repository.account_of(db, phone) if first is not None else None
    return AppUse(first, last, account)


async def check_tags(db: AsyncSession, actor: PartnerPrincipal, tags: Iterable[str], current: Iterable[str] = ()) -> list[str]:
    """STAFF-03: without `clients.tags.edit` only tags that already exist can be applied."""
    wanted = sorted({t.strip() for t in tags if t and t.strip()})
    if actor.can("clients.tags.edit"):
        return wanted
    new = set(wanted) - set(current) - await repository.partner_tags(db, actor.partner_id)
    if new:
        raise PermissionDenied(f"Создавать новые теги может только сотрудник с правом «clients.tags.edit»: "
                               f"{', '.join(sorted(new))}", code=ClientCode.TAGS_EDIT_REQUIRED)
    return wanted


def _validate(changes: dict, today: date) -> dict:
    return rules.client_fields(changes, today)


def _phone_taken(holder: Client, policy: PiiPolicy) -> Conflict:
    return Conflict(f"Номер телефона уже принадлежит клиенту {policy.name(full_name(holder)) or holder.id}",
                    code=ClientCode.PHONE_TAKEN, extra={"client_id": str(holder.id)})


async def create_client(db: AsyncSession, actor: PartnerPrincipal, changes: dict, *, today: date) -> Client:
    clean = _validate(changes, today)
    phone = normalize_phone(clean["phone"]) if clean.get("phone") else None
    if phone and (holder := await repository.card_by_phone(db, actor.partner_id, phone)):
        raise _phone_taken(holder, PiiPolicy.of(actor))
    client = Client(partner_id=actor.partner_id, phone=phone, status="active", type="individual", tags=[])
    for name in (*PLAIN_FIELDS, *NAME_FIELDS, "inn", "snils", "birth_date"):
        if clean.get(name) is not None:
            setattr(client, name, clean[name])
    if clean.get("tags"):
        client.tags = await check_tags(db, actor, clean["tags"])
    _require_name(client)
    db.add(client)
    await db.flush()
    await set_external_ids(db, actor, client, clean.get("external_ids") or [], replace=False)
    return client


def _require_name(client: Client) -> None:
    if client.type in ("legal_entity", "foreign_branch"):
        if not client.organization_name:
            raise InvalidInput.field("organization_name", "Укажите название организации")
    elif not client.last_name and not client.first_name:
        raise InvalidInput.field("first_name", "Укажите имя или фамилию")


async def update_client(db: AsyncSession, actor: PartnerPrincipal, client_id: uuid.UUID, changes: dict, *,
                        today: date) -> Client:
    client = await get_client(db, actor, client_id)
    clean = _validate(changes, today)
    if "phone" in clean:
        await change_phone(db, actor, client, clean["phone"])
    for name in (*PLAIN_FIELDS, *NAME_FIELDS, "inn", "snils", "birth_date"):
        if name in clean:
            if clean[name] is None and name in ("type", "status", "is_tester"):
                raise InvalidInput.field(name, "Поле не может быть пустым")
            setattr(client, name, clean[name])
    if "tags" in clean:
        client.tags = await check_tags(db, actor, clean["tags"] or [], client.tags)
    _require_name(client)
    if "external_ids" in clean:
        await set_external_ids(db, actor, client, clean["external_ids"] or [], replace=True)
    await db.flush()
    return client


async def change_phone(db: AsyncSession, actor: PartnerPrincipal, client: Client, raw: str | None) -> None:
    """CRM-CLI-03: the phone changes only while the client has never logged in; a phone held by
    another card is a conflict naming that card (staff may then merge the two)."""
    phone = normalize_phone(raw) if raw else None
    if phone == client.phone:
        return
    if await repository.has_logged_in(db, actor.partner_id, client.phone):
        raise RuleViolation(PHONE_LOCKED, code=ClientCode.PHONE_LOCKED)
    if phone and (holder := await repository.card_by_phone(db, actor.partner_id, phone, exclude=client.id)):
        raise _phone_taken(holder, PiiPolicy.of(actor))
    if client.phone:
        db.add(ClientPhoneHistory(partner_id=actor.partner_id, client_id=client.id, phone=client.phone))
    client.phone = phone


async def set_external_ids(db: AsyncSession, actor: PartnerPrincipal, client: Client, items: list[dict], *,
                           replace: bool) -> None:
    values = [i["value"].strip() for i in items]
    if len(set(values)) != len(values):
        raise InvalidInput.field("external_ids", "Внешние идентификаторы повторяются")
    taken = await repository.external_id_holder(db, actor.partner_id, values, client.id)
    if taken:
        raise Conflict(f"Внешний идентификатор {taken.value} уже принадлежит другому клиенту",
                       code=ClientCode.EXTERNAL_ID_TAKEN, extra={"client_id": str(taken.client_id)})
    if replace:
        await db.execute(delete(ClientExternalId).where(ClientExternalId.client_id == client.id,
                                                        ClientExternalId.value.not_in(values)))
    existing = await repository.external_id_values(db, client.id)
    for item in items:
        value = item["value"].strip()
        if value in existing:
            await db.execute(ClientExternalId.__table__.update().where(
                ClientExternalId.client_id == client.id, ClientExternalId.value == value).values(note=item.get("note")))
        else:
            db.add(ClientExternalId(partner_id=actor.partner_id, client_id=client.id, value=value,
                                    note=item.get("note")))
    try:
        async with db.begin_nested():
            await db.flush()
    except IntegrityError:
        raise Conflict("Внешний идентификатор уже принадлежит другому клиенту", code=ClientCode.EXTERNAL_ID_TAKEN) from None


def _sort_keys(sort: str, use):
    kind = sort.lstrip("-")
    if kind == "phone":
        keys = [func.coalesce(Client.phone, literal("")), Client.id]
    elif kind == "last_visit":
        keys = [func.coalesce(use.c.last_visit_at, NEVER_VISITED), use.c.client_id]
    else:
        keys = list(NAME_KEYS)
    return keys, sort.startswith("-")


# A card never visited sorts as visited in 1970: written as a literal, the sort key is the
# expression of the index ix_client_app_use_visit (migration 0007).
NEVER_VISITED = literal_column("'1970-01-01 00:00:00+00'::timestamptz", type_=Account.last_visit_at.type)

# The name order; the same expressions as the index ix_client_name_sort (so written with SQL
# literals, not bound parameters, which an index expression would not match).
NAME_KEYS = (func.lower(func.coalesce(Client.last_name, Client.organization_name, literal_column("''"))),
             func.lower(func.coalesce(Client.first_name, literal_column("''"))), Client.id)


def _next_prefix(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _name_values(actor: PartnerPrincipal, column, prefix: str):
    """The distinct lowered values of a name column of the partner's cards that start with
    `prefix`, one index probe each (a loose index scan, as a recursive CTE): a prefix of a first
    or middle name stands for a few names ("сте": Степан, Стефания) of thousands of cards."""
    lowered, upper_bound = func.lower(column), _next_prefix(prefix)
    values = (select(func.min(lowered).label("value"))
              .where(Client.partner_id == actor.partner_id, lowered >= prefix, lowered < upper_bound)
              .cte(f"{column.key}_values", recursive=True))
    following = (select(func.min(lowered)).where(Client.partner_id == actor.partner_id, lowered > values.c.value,
                                                 lowered < upper_bound).scalar_subquery())
    return values.union_all(select(following).where(values.c.value.is_not(None)))


def _name_search_ids(actor: PartnerPrincipal, flt: ClientFilter, tokens: tuple[str, ...], *, cursor: Position | None,
                     limit: int, descending: bool):
    """The page of a name search in name order, as a union of three index-ordered branches (the
    first word a prefix of the last, first or middle name), each cut at the page size. One OR
    over the three names would sort every match of a common prefix (thousands) for one page.
    The last name leads the name order, so its branch reads the prefix's range of that order. A
    first or middle name does not: its branch takes each name the prefix stands for and reads that
    name's cards in name order (ix_client_first_name_order, ix_client_middle_name_order), so a rare
    name is not looked for by walking the whole order, nor a common one by sorting all its cards."""
    k0, k1, key_id = NAME_KEYS
    # Each branch is the first word's condition; the other words filter. (The first word in this
    # OR too would let the planner read every match of all three names by bitmap and sort them.)
    every_word = and_(true(), *[or_(func.lower(Client.last_name).like(prefix_pattern(t)), func.lower(Client.first_name).like(prefix_pattern(t)),
                                    func.lower(Client.middle_name).like(prefix_pattern(t))) for t in tokens[1:]])
    first = tokens[0]
    rest = ClientFilter(status=flt.status, type=flt.type, tag=flt.tag, premise_id=flt.premise_id,
                        object_id=flt.object_id, ids=flt.ids)

    def cut(condition):
        branch = select(key_id.label("id"), k0.label("k0"), k1.label("k1")).where(
            Client.partner_id == actor.partner_id, condition, every_word)
        return keyset(apply_filter(branch, actor, rest), NAME_KEYS, cursor=cursor, limit=limit, descending=descending)

    branches = [cut(and_(Client.last_name.is_not(None), k0 >= first, k0 < _next_prefix(first),
                         k0.like(prefix_pattern(first)))).subquery().select()]
    for column in (Client.first_name, Client.middle_name):
        values = _name_values(actor, column, first)
        name_page = cut(func.lower(column) == values.c.value).lateral(f"{column.key}_page")
        branches.append(select(name_page).select_from(values).join(name_page, true())
                        .where(values.c.value.like(prefix_pattern(first))))
    found = union(*branches).subquery()
    order = [found.c.k0, found.c.k1, found.c.id]
    return select(found).order_by(*[c.desc() for c in order] if descending else order).limit(limit + 1).subquery()


async def list_clients(db: AsyncSession, actor: PartnerPrincipal, flt: ClientFilter, *, sort: str,
                       cursor: Position | None, limit: int):
    # Last visits as the partner may see them (STAFF-04): in its apps only. A page in name or
    # phone order looks up its own cards' sessions; a list sorted by last visit reads the stored
    # ones (client_app_use, kept by triggers) in the order of their index.
    if sort.lstrip("-") == "last_visit":
        use = ClientAppUse.__table__
        on_card = and_(use.c.client_id == Client.id, use.c.partner_id == actor.partner_id)
    else:
        use, on_card = app_use(actor.partner_id, Client.phone), true()
    keys, descending = _sort_keys(sort, use)
    person = parse_person_query(flt.q) if flt.q and flt.q.strip() else None
    if person and person.name_tokens and not person.phone_digits and sort.lstrip("-") == "name":
        found = _name_search_ids(actor, flt, person.name_tokens, cursor=cursor, limit=limit, descending=descending)
        order = [found.c.k0, found.c.k1, found.c.id]
        stmt = (select(Client, use.c.last_visit_at, use.c.first_login_at, found.c.k0.label("k0"),
                       found.c.k1.label("k1"), found.c.id.label("k2"))
                .join(found, found.c.id == Client.id).outerjoin(use, on_card)
                .order_by(*[c.desc() for c in order] if descending else order))
        rows = (await db.execute(stmt)).all()
        return page(rows, limit, lambda r: [r.k0, r.k1, r.k2])
    by_visit = sort.lstrip("-") == "last_visit"
    # The page is chosen on the sort keys alone and only its cards are read whole and have their
    # app use looked up: a search matching hundreds of cards sorts narrow rows, not whole cards.
    # (Sorted by last visit the keys need every card's app use anyway.)
    stmt = select(Client.id.label("id"), *[k.label(f"k{i}") for i, k in enumerate(keys)]).where(
        Client.partner_id == actor.partner_id)
    if by_visit:
        stmt = stmt.add_columns(use.c.last_visit_at, use.c.first_login_at).join(use, on_card)
    fragments = [f for f in (person.phone_fragments if person else ()) if 4 <= len(f) < 11]
    if fragments:
        # A phone fragment matches few cards: find them by the phone index alone first. Left to
        # one query, the planner may walk the name order of a large partner looking for them.
        matched = (await db.scalars(select(Client.id).where(
            Client.partner_id == actor.partner_id, or_(*[phone_contains(f) for f in fragments]))
            .limit(PHONE_MATCHES + 1))).all()
        if len(matched) <= PHONE_MATCHES:
            # Joined to an unnest, not `id = ANY(...)`: a cached generic plan of the latter may walk
            # the name order filtering on the array; this one always looks the cards up by key.
            found = select(func.unnest(bindparam("phone_matches", list(matched), type_=ARRAY(UUID))).label("id")).subquery()
            stmt = stmt.join(found, found.c.id == Client.id)
            flt = dataclasses.replace(flt, q=None)
    chosen = keyset(apply_filter(stmt, actor, flt), keys, cursor=cursor, limit=limit, descending=descending).subquery()
    order = [chosen.c[f"k{i}"] for i in range(len(keys))]
    visit = chosen if by_visit else use
    stmt = (select(Client, visit.c.last_visit_at, visit.c.first_login_at, *order)
            .join(chosen, chosen.c.id == Client.id))
    if not by_visit:
        stmt = stmt.outerjoin(use, true())
    rows = (await db.execute(stmt.order_by(*[c.desc() for c in order] if descending else order))).all()
    return page(rows, limit, lambda r: [getattr(r, f"k{i}") for i in range(len(keys))])


def apply_filter(stmt, actor: PartnerPrincipal, flt: ClientFilter):
    """The CRM's client filters; mailings and exports use the same ones."""
    if flt.q and flt.q.strip():
        condition = client_condition(actor, flt.q)
        stmt = stmt.where(condition if condition is not None else literal(False))
    if flt.status:
        stmt = stmt.where(Client.status == flt.status)
    if flt.type:
        stmt = stmt.where(Client.type == flt.type)
    if flt.tag:
        stmt = stmt.where(Client.tags.contains([flt.tag]))
    if flt.ids:
        stmt = stmt.where(Client.id.in_(flt.ids))
    if flt.premise_id:
        stmt = stmt.where(exists().where(PremiseLink.client_id == Client.id, PremiseLink.premise_id == flt.premise_id))
    if flt.object_id:
        stmt = stmt.where(exists().where(PremiseLink.client_id == Client.id, PremiseLink.premise_id == Premise.id,
                                         Premise.object_id == flt.object_id))
    return stmt
