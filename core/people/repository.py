"""Read queries of the People area: who is on a premise, who shares premises with an account, whom
it saved, one person and their shared premises.

A person is a client card (or, across partners, every card of one phone) or one of the account's
guests; their id on the wire is the id of one of their cards or of the guest."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import exists, func, or_, select, text, union, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from core.clients.service import full_name
from core.errors import NotFound
from core.models import Account, Client, Guest, Premise, PremiseLink
from core.people import rules
from core.residents.access import PremiseAccess, accesses

PERSON_NOT_FOUND = "Человек не найден"


@dataclass(slots=True)
class Person:
    """One human as the viewer sees them: their cards (one per partner that knows them) or a
    guest of the viewer."""

    id: uuid.UUID
    cards: list[Client] = field(default_factory=list)
    account: Account | None = None
    guest: Guest | None = None
    # PEOPLE-CARD-01: whether the viewer may see the account's app-side data (`reveal_profiles`).
    app_visible: bool = False

    @property
    def profile(self) -> Account | None:
        """The person's app account as far as the viewer may see it (None: the CRM card only)."""
        return self.account if self.app_visible else None

    @property
    def is_guest(self) -> bool:
        return self.guest is not None

    @property
    def main(self) -> Client | Guest:
        return self.guest if self.guest is not None else self.cards[0]

    @property
    def phone(self) -> str | None:
        return self.main.phone

    def is_child(self, today: date) -> bool:
        main = self.main
        return main.phone is None and (main.child_name is not None or rules.is_child(main.birth_date, today))

    def name(self) -> str:
        return display_name(self.main, self.profile)

    @property
    def birth_date(self) -> date | None:
        return self.main.birth_date


def display_name(card: Client | Guest, account: Account | None) -> str:
    """How the app names a person: a child as the adder asked to address them; someone who set
    a name in the app by that name; else the CRM full name."""
    if card.phone is None and card.child_name:
        return card.child_name
    if account is not None:
        app_name = account.name or " ".join(p for p in (account.last_name, account.first_name, account.middle_name) if p)
        if app_name:
            return app_name
    if isinstance(card, Guest):
        return " ".join(p for p in (card.last_name, card.first_name, card.middle_name) if p) or (card.child_name or "")
    return full_name(card) or (card.child_name or "")


def person_key(client: Client) -> object:
    """One human across partners: their phone; a card without a phone (a child) is its own."""
    return client.phone or client.id


# ---- the premise ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PremiseMember:
    link: PremiseLink
    client: Client
    account: Account | None


async def premise_members(db: AsyncSession, premise_id: uuid.UUID) -> list[PremiseMember]:
    """Everyone linked to the premise, earliest linked first."""
    rows = (await db.execute(
        select(PremiseLink, Client, Account)
        .join(Client, Client.id == PremiseLink.client_id)
        .outerjoin(Account, Account.phone == Client.phone)
        .where(PremiseLink.premise_id == premise_id)
        .order_by(PremiseLink.linked_at, PremiseLink.id)
    )).all()
    return [PremiseMember(link, client, account) for link, client, account in rows]


# The count of the Profile's People block, over bff/brands/context.py's `cur` (the selected
# premise): the people the People screen of that premise shows, the account included. Without a
# premise (PEOPLE-VIEW-03: the block leads to the guest list) the number of the account's guests.
PEOPLE_COUNT_SQL = """CASE WHEN EXISTS (SELECT 1 FROM cur)
  THEN (SELECT count(*) FROM premise_link pl WHERE pl.premise_id = (SELECT premise_id FROM cur))
  ELSE (SELECT count(*) FROM guest g WHERE g.account_id = $1::uuid) END"""


# ---- events (guests) --------------------------------------------------------------------------

# Whether the app the resident is in offers events (and so guests): a branded app by its brand's
# partner; the unified app by the session's current premise, else by any partner the account has
# a premise with. Over two CTEs, `s` (the session's current_premise_id) and `mine` (the account's
# links: premise_id, partner_id), as bff/brands/context.py has them; {app} is the app id parameter.
EVENTS_IN_CONTEXT_SQL = """(SELECT CASE
  WHEN x.partner_id IS NOT NULL
    THEN COALESCE((SELECT 'events' = ANY(pa.products) FROM partner pa WHERE pa.id = x.partner_id), false)
  ELSE COALESCE(
    (SELECT COALESCE('events' = ANY(pa.products), false)
     FROM s JOIN mine m ON m.premise_id = s.current_premise_id JOIN partner pa ON pa.id = m.partner_id LIMIT 1),
    EXISTS (SELECT 1 FROM mine m JOIN partner pa ON pa.id = m.partner_id WHERE 'events' = ANY(pa.products)))
  END FROM (SELECT (SELECT partner_id FROM brand WHERE slug = {app}) AS partner_id) x)"""

_EVENTS_IN_CONTEXT = text("""WITH s AS (
  SELECT current_premise_id FROM device_session WHERE id = :session_id AND account_id = :account_id
), mine AS (
  SELECT pl.premise_id, pl.partner_id FROM account a JOIN client c ON c.phone = a.phone
  JOIN premise_link pl ON pl.client_id = c.id WHERE a.id = :account_id
)
SELECT """ + EVENTS_IN_CONTEXT_SQL.format(app="CAST(:app_id AS text)"))


async def events_in_context(db: AsyncSession, *, account_id: uuid.UUID, session_id: uuid.UUID, app_id: str) -> bool:
    return bool(await db.scalar(_EVENTS_IN_CONTEXT, {"account_id": account_id, "session_id": session_id,
                                                     "app_id": app_id}))


# ---- everyone the account shares premises with --------------------------------------------------

@dataclass(slots=True)
class SharedPerson:
    person: Person
    premise_ids: set[uuid.UUID]


async def shared_people(db: AsyncSession, account_id: uuid.UUID,
                        mine: list[PremiseAccess] | None = None) -> list[SharedPerson]:
    """PEOPLE-VIEW-01 "All": everyone sharing any premise with the account (not the account
    itself), one entry per human across partners, with the premises shared."""
    mine = await accesses(db, account_id) if mine is None else mine
    if not mine:
        return []
    my_clients = {a.client_id for a in mine}
    rows = (await db.execute(
        select(PremiseLink.premise_id, Client, Account)
        .join(Client, Client.id == PremiseLink.client_id)
        .outerjoin(Account, Account.phone == Client.phone)
        .where(PremiseLink.premise_id.in_({a.premise_id for a in mine}), PremiseLink.client_id.not_in(my_clients))
        .order_by(PremiseLink.linked_at, PremiseLink.id)
    )).all()
    people: dict[object, SharedPerson] = {}
    for premise_id, client, account in rows:
        entry = people.get(person_key(client))
        if entry is None:
            entry = people[person_key(client)] = SharedPerson(Person(client.id, [], account), set())
        if all(card.id != client.id for card in entry.person.cards):
            entry.person.cards.append(client)
        entry.premise_ids.add(premise_id)
    await reveal_profiles(db, account_id, [entry.person for entry in people.values()])
    return list(people.values())


async def guests_of(db: AsyncSession, account_id: uuid.UUID) -> list[Guest]:
    return list((await db.scalars(select(Guest).where(Guest.account_id == account_id)
                                  .order_by(Guest.created_at, Guest.id))).all())


# ---- people the account saved (PEOPLE-ADD-04) ---------------------------------------------------

def _added_by(account_id: uuid.UUID):
    """Ids of the cards the account created in the app or linked somewhere from the app: two
    indexed lookups, never a scan of every partner's clients."""
    return union(select(Client.id).where(Client.created_by_account_id == account_id),
                 select(PremiseLink.client_id).where(PremiseLink.added_by_account_id == account_id))


async def saved_people(db: AsyncSession, account_id: uuid.UUID, my_phone: str,
                       exclude_premise: uuid.UUID | None = None) -> list[Person]:
    """PEOPLE-ADD-04: only people the account added itself (its guests included); people linked
    by other owners or by staff are not offered. `exclude_premise` leaves out who is already there."""
    stmt = (select(Client, Account).outerjoin(Account, Account.phone == Client.phone)
            .where(Client.id.in_(_added_by(account_id)), or_(Client.phone.is_(None), Client.phone != my_phone))
            .order_by(Client.created_at, Client.id))
    rows = (await db.execute(stmt)).all()
    there: set[object] = set()
    if exclude_premise is not None:
        there = {person_key(m.client) for m in await premise_members(db, exclude_premise)}
    people: dict[object, Person] = {}
    for client, account in rows:
        key = person_key(client)
        if key in there:
            continue
        people.setdefault(key, Person(client.id, [], account)).cards.append(client)
    result = list(people.values())
    await reveal_profiles(db, account_id, result)
    result += [Person(g.id, guest=g) for g in await guests_of(db, account_id)]
    return result


# ---- one person ------------------------------------------------------------------------------

async def cards_of(db: AsyncSession, client: Client) -> list[Client]:
    """Every card of the human behind `client`: all partners' cards of the phone; a card without
    a phone is alone."""
    if client.phone is None:
        return [client]
    cards = list((await db.scalars(select(Client).where(Client.phone == client.phone)
                                   .order_by(Client.created_at, Client.id))).all())
    cards.sort(key=lambda c: c.id != client.id)  # the named card first
    return cards


async def find_person(db: AsyncSession, account_id: uuid.UUID, person_id: uuid.UUID) -> Person:
    """The person if the viewer may see them: its own guest; someone sharing a premise with it;
    someone it added; itself. Anyone else is unknown (404)."""
    guest = await db.get(Guest, person_id)
    if guest is not None:
        if guest.account_id != account_id:
            raise NotFound(PERSON_NOT_FOUND)
        return Person(guest.id, guest=guest)
    client = await db.get(Client, person_id)
    if client is None:
        raise NotFound(PERSON_NOT_FOUND)
    cards = await cards_of(db, client)
    card_ids = [c.id for c in cards]
    my_premises = {a.premise_id for a in await accesses(db, account_id)}
    account = await db.scalar(select(Account).where(Account.phone == client.phone)) if client.phone else None
    visible = (account is not None and account.id == account_id) or any(
        c.created_by_account_id == account_id for c in cards)
    if not visible:
        visible = bool(await db.scalar(select(exists().where(PremiseLink.client_id.in_(card_ids), or_(
            PremiseLink.premise_id.in_(my_premises) if my_premises else False,
            PremiseLink.added_by_account_id == account_id)))))
    if not visible:
        raise NotFound(PERSON_NOT_FOUND)
    person = Person(client.id, cards, account)
    await reveal_profiles(db, account_id, [person])
    return person


async def added_by_viewer(db: AsyncSession, account_id: uuid.UUID, person: Person) -> bool:
    """PEOPLE-CARD-01: did the viewer add this person (created their card or linked them)?"""
    if person.is_guest:
        return person.guest.account_id == account_id
    if any(c.created_by_account_id == account_id for c in person.cards):
        return True
    return bool(await db.scalar(select(exists().where(
        PremiseLink.client_id.in_([c.id for c in person.cards]), PremiseLink.added_by_account_id == account_id))))


@dataclass(frozen=True, slots=True)
class SharedPremise:
    premise: Premise
    link: PremiseLink


async def shared_premises(db: AsyncSession, account_id: uuid.UUID, person: Person) -> list[SharedPremise]:
    """PEOPLE-CARD-02: the person's premises that the viewer shares, whichever partner; none for
    a guest."""
    if person.is_guest:
        return []
    mine = await accesses(db, account_id)
    if not mine:
        return []
    rows = (await db.execute(
        select(Premise, PremiseLink).join(PremiseLink, PremiseLink.premise_id == Premise.id)
        .where(PremiseLink.client_id.in_([c.id for c in person.cards]),
               Premise.id.in_({a.premise_id for a in mine}))
        .order_by(PremiseLink.linked_at, PremiseLink.id)
    )).all()
    return [SharedPremise(premise, link) for premise, link in rows]


async def premises_by_id(db: AsyncSession, premise_ids: list[uuid.UUID]) -> dict[uuid.UUID, Premise]:
    if not premise_ids:
        return {}
    return {p.id: p for p in (await db.scalars(select(Premise).where(Premise.id.in_(premise_ids)))).all()}


def created_at_of(person: Person) -> datetime:
    """The profile creation date: of the app account when the viewer may see it, else of the card."""
    if person.profile is not None and person.profile.first_login_at is not None:
        return person.profile.created_at
    return person.main.created_at


# ---- what of a person's app account another resident sees (PEOPLE-CARD-01) ----------------------

async def known_since(db: AsyncSession, viewer_id: uuid.UUID, client_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When each card became visible to the viewer: its earliest link to a premise the viewer has
    or that the viewer made, or its creation by the viewer (one statement for any number)."""
    if not client_ids:
        return {}
    my_premises = (select(PremiseLink.premise_id).join(Client, Client.id == PremiseLink.client_id)
                   .join(Account, Account.phone == Client.phone).where(Account.id == viewer_id))
    times = union_all(
        select(PremiseLink.client_id.label("client_id"), PremiseLink.linked_at.label("at")).where(
            PremiseLink.client_id.in_(client_ids),
            or_(PremiseLink.premise_id.in_(my_premises), PremiseLink.added_by_account_id == viewer_id)),
        select(Client.id.label("client_id"), Client.created_at.label("at")).where(
            Client.id.in_(client_ids), Client.created_by_account_id == viewer_id),
    ).subquery()
    rows = await db.execute(select(times.c.client_id, func.min(times.c.at)).group_by(times.c.client_id))
    return {client_id: at for client_id, at in rows.all()}


async def reveal_profiles(db: AsyncSession, viewer_id: uuid.UUID, people: list[Person]) -> None:
    """Set which people's app-side data the viewer may see (rules.shows_app_profile)."""
    with_account = [p for p in people if p.account is not None and not p.is_guest]
    known = await known_since(db, viewer_id, [c.id for p in with_account for c in p.cards])
    for person in with_account:
        times = [known[c.id] for c in person.cards if c.id in known]
        person.app_visible = rules.shows_app_profile(
            is_viewer=person.account.id == viewer_id, last_visit_at=person.account.last_visit_at,
            known_since=min(times) if times else None)


# The SQL twin of `known_since` + rules.shows_app_profile, for the People screen's one statement
# (bff/people/assembler.py): over the card `{c}` (every card of its phone), the account `{a}`,
# the app context's `mine` and the viewer's id as $1.
APP_PROFILE_SHOWN_SQL = """({a}.id = $1::uuid OR {a}.last_visit_at >= LEAST(
  (SELECT min(x.linked_at) FROM premise_link x JOIN client xc ON xc.id = x.client_id
   WHERE (xc.id = {c}.id OR xc.phone = {c}.phone)
     AND (x.premise_id IN (SELECT premise_id FROM mine) OR x.added_by_account_id = $1::uuid)),
  (SELECT min(xc.created_at) FROM client xc
   WHERE (xc.id = {c}.id OR xc.phone = {c}.phone) AND xc.created_by_account_id = $1::uuid)))"""


async def link_of_cards(db: AsyncSession, premise_id: uuid.UUID, card_ids: list[uuid.UUID]) -> PremiseLink | None:
    """The link of one of a person's cards to the premise."""
    return await db.scalar(select(PremiseLink).where(PremiseLink.premise_id == premise_id,
                                                     PremiseLink.client_id.in_(card_ids)))


async def links_added_by(db: AsyncSession, account_id: uuid.UUID, card_ids: list[uuid.UUID]) -> list[PremiseLink]:
    """The links of these cards that the account added from the app."""
    return list((await db.scalars(select(PremiseLink).where(PremiseLink.client_id.in_(card_ids),
                                                            PremiseLink.added_by_account_id == account_id))).all())


async def tenant_links(db: AsyncSession, rent_date: date):
    """Tenant links whose rent date is `rent_date`, with the tenant's and the owner's cards."""
    owner = aliased(Client)
    return (await db.execute(
        select(PremiseLink, Premise, Client.phone, owner.phone)
        .join(Premise, Premise.id == PremiseLink.premise_id)
        .join(Client, Client.id == PremiseLink.client_id)
        .outerjoin(owner, owner.id == PremiseLink.depends_on_client_id)
        .where(PremiseLink.role == "tenant", PremiseLink.rent_day.in_(rules.rent_days_falling_on(rent_date)))
        .order_by(PremiseLink.id)
    )).all()
