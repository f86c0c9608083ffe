"""The People screens and cards as view models: queries in, one Struct out. The decisions (who may
add whom, who may manage what) are calls to `core.people.rules`."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bff.people.schemas import (AccessesScreen, AccessItem, AllPeopleItem, AllPeopleScreen, PeopleGroup,
                                PeopleScreen, PeopleScreenPerson, PersonCard, PersonPremise, PersonPremises,
                                SavedPeople, SavedPerson)
from core.enums import UNIFIED_APP_ID
from core.estate.premises import full_address
from core.models import DeviceSession
from core.people import queries, rules
from core.people.queries import Person, display_name
from core.people.service import Viewer, can_add_guests
from core.residents.access import PremiseAccess, account_phone, accesses, premise_access

# The "invite to the app" link a person card shares (PEOPLE-CARD-01).
INVITE_LINK = "https://domiland.ru/app"


def _empty_state(can_people: bool, can_guests: bool) -> str:
    if can_people and can_guests:
        return "add_guests_or_people"
    if can_people:
        return "add_people"
    return "add_guests" if can_guests else "nothing_to_add"


async def _current_premise(db: AsyncSession, viewer: Viewer, mine: list[PremiseAccess]) -> uuid.UUID | None:
    """APP-PREM-02, as the Profile's People block counts it: the session's premise; until the
    resident switches, the first in list order — in a branded app the first of that brand, none if
    it has none there."""
    if viewer.app_id != UNIFIED_APP_ID:
        app_brand = await queries.brand_id_of_app(db, viewer.app_id)
        brands = await queries.premise_brands(db, [a.premise_id for a in mine])
        mine = [a for a in mine if app_brand is not None and brands.get(a.premise_id) == app_brand]
    current = await db.scalar(select(DeviceSession.current_premise_id).where(DeviceSession.id == viewer.session_id))
    if current is not None and any(a.premise_id == current for a in mine):
        return current
    return mine[0].premise_id if mine else None


async def people_screen(db: AsyncSession, viewer: Viewer, premise_id: uuid.UUID | None) -> PeopleScreen:
    """PEOPLE-VIEW-01/03: the People of a premise (the current one when none is named)."""
    mine = await accesses(db, viewer.account_id)
    if premise_id is None:
        premise_id = await _current_premise(db, viewer, mine)
    if premise_id is None:
        guests = await queries.guests_of(db, viewer.account_id)
        events = await can_add_guests(db, viewer, mine)
        people = [PeopleScreenPerson(person_id=str(g.id), name=display_name(g, None), can_manage=True) for g in guests]
        return PeopleScreen(premise_id=None, groups=[PeopleGroup(role=rules.GUEST, people=people)] if people else [],
                            can_add_people=False, can_add_guests=events, tabs=[],
                            empty_state=None if people else _empty_state(False, events))
    access = await premise_access(db, viewer.account_id, premise_id)
    members = await queries.premise_members(db, premise_id)
    my_cards = {a.client_id for a in mine}
    by_role: dict[str, list[PeopleScreenPerson]] = {}
    for m in members:
        by_role.setdefault(m.link.role, []).append(PeopleScreenPerson(
            person_id=str(m.client.id), name=display_name(m.client, m.account),
            photo_url=m.account.photo_url if m.account else None, is_me=m.client.id in my_cards,
            can_manage=rules.may_manage_link(link_added_by_account=m.link.added_by_account_id,
                                             viewer_account=viewer.account_id),
            rent_day=m.link.rent_day))
    groups = [PeopleGroup(role=role, people=by_role[role]) for role in rules.GROUP_ORDER if role in by_role]
    can_people = rules.can_add_people(access.role)
    events = await queries.premise_has_events(db, premise_id)
    alone = all(m.client.id in my_cards for m in members)
    premise = (await queries.premises_by_id(db, [premise_id]))[premise_id]
    return PeopleScreen(premise_id=str(premise_id), address=full_address(premise), groups=groups,
                        can_add_people=can_people, can_add_guests=events, tabs=["people", "accesses"],
                        empty_state=_empty_state(can_people, events) if alone else None)


async def all_people_screen(db: AsyncSession, viewer: Viewer) -> AllPeopleScreen:
    """PEOPLE-VIEW-01 "All": everyone sharing a premise, with the count of shared premises, and
    the account's guests."""
    mine = await accesses(db, viewer.account_id)
    shared = await queries.shared_people(db, viewer.account_id, mine)
    people = sorted((AllPeopleItem(person_id=str(s.person.id), name=s.person.name(),
                                   photo_url=s.person.account.photo_url if s.person.account else None,
                                   shared_premises=len(s.premise_ids), is_guest=False) for s in shared),
                    key=lambda p: p.name.casefold())
    guests = sorted((AllPeopleItem(person_id=str(g.id), name=display_name(g, None), shared_premises=0, is_guest=True)
                     for g in await queries.guests_of(db, viewer.account_id)), key=lambda p: p.name.casefold())
    can_people = any(rules.can_add_people(a.role) for a in mine)
    events = await can_add_guests(db, viewer, mine)
    everyone = people + guests
    return AllPeopleScreen(people=everyone, can_add_guests=events, can_add_people=can_people,
                           tabs=["people", "accesses"] if mine else [],
                           empty_state=None if everyone else _empty_state(can_people, events))


async def accesses_screen(db: AsyncSession, viewer: Viewer) -> AccessesScreen:
    """PEOPLE-VIEW-02: the account's premises with its role in each, in My Premises order."""
    mine = await accesses(db, viewer.account_id)
    premises = await queries.premises_by_id(db, [a.premise_id for a in mine])
    return AccessesScreen(items=[AccessItem(premise_id=str(a.premise_id), address=full_address(premises[a.premise_id]),
                                            role=a.role, can_add_people=rules.can_add_people(a.role))
                                 for a in mine])


async def person_card(db: AsyncSession, viewer: Viewer, person: Person, today: date) -> PersonCard:
    """PEOPLE-CARD-01."""
    added = await queries.added_by_viewer(db, viewer.account_id, person)
    rights = rules.card_rights(added_by_viewer=added, is_guest=person.is_guest)
    child = person.is_child(today)
    account = person.account
    email = (account.email if account else None) or person.main.email
    return PersonCard(
        person_id=str(person.id), name=person.name(), photo_url=account.photo_url if account else None,
        phone=None if child else person.phone, email=email, created_at=queries.created_at_of(person),
        can_delete=rights.can_delete, can_edit=rights.can_edit, is_guest=person.is_guest, is_child=child,
        is_me=account is not None and account.id == viewer.account_id, birth_date=person.birth_date,
        can_attend_events=rules.may_sign_up_for_events(person.birth_date), invite_link=INVITE_LINK)


async def person_premises(db: AsyncSession, viewer: Viewer, person: Person) -> PersonPremises:
    """PEOPLE-CARD-02: shared premises only, other partners' included; rent day under a tenant's
    address; empty for a guest."""
    rows = await queries.shared_premises(db, viewer.account_id, person)
    return PersonPremises(items=[PersonPremise(
        premise_id=str(r.premise.id), address=full_address(r.premise), role=r.link.role,
        rent_day=r.link.rent_day if r.link.role == "tenant" else None,
        can_manage=rules.may_manage_link(link_added_by_account=r.link.added_by_account_id,
                                         viewer_account=viewer.account_id)) for r in rows])


async def saved_people(db: AsyncSession, viewer: Viewer, premise_id: uuid.UUID | None, today: date) -> SavedPeople:
    """PEOPLE-ADD-04: the people the account added itself, to pick from."""
    if premise_id is not None:
        await premise_access(db, viewer.account_id, premise_id)
    phone = await account_phone(db, viewer.account_id)
    people = await queries.saved_people(db, viewer.account_id, phone, exclude_premise=premise_id)
    return SavedPeople(items=[SavedPerson(person_id=str(p.id), name=p.name(), is_guest=p.is_guest,
                                          is_child=p.is_child(today)) for p in people])
