"""The People screens and cards as view models: queries in, one Struct out. The decisions (who may
add whom, who may manage what) are calls to `core.people.rules`."""

from __future__ import annotations

import uuid
from datetime import date
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from bff.brands.context import CONTEXT
from bff.people.schemas import (AccessesScreen, AccessItem, AllPeopleItem, AllPeopleScreen, PeopleGroup, PeopleRow,
                                PeopleScreen, PeopleScreenPerson, PersonCard, PersonPremise, PersonPremises,
                                SavedPeople, SavedPerson)
from core.estate.rules import address_sql
from bff.sql import fetch_view
from core.enums import UNIFIED_APP_ID
from core.errors import NotFound
from core.partners import repository as partners
from core.estate.premises import full_address
from core.people import repository, rules
from core.people.repository import APP_PROFILE_SHOWN_SQL, EVENTS_IN_CONTEXT_SQL, Person, display_name
from core.people.service import Viewer, can_add_guests
from core.residents.access import account_phone, accesses, premise_access

# The unified app's "invite to the app" link (PEOPLE-CARD-01); a white-label app's is its brand's.
INVITE_LINK = "https://domiland.ru/app"


async def invite_link(db: AsyncSession, app_id: str) -> str:
    """PEOPLE-CARD-01: the link of the app the viewer uses — its brand's white-label app, or the
    unified one."""
    if app_id == UNIFIED_APP_ID:
        return INVITE_LINK
    brand = await partners.brand_by_slug(db, app_id)
    if brand is None:
        return INVITE_LINK
    return brand.app_url or f"{INVITE_LINK}?brand={quote(brand.slug)}"


def _empty_state(can_people: bool, can_guests: bool) -> str:
    if can_people and can_guests:
        return "add_guests_or_people"
    if can_people:
        return "add_people"
    return "add_guests" if can_guests else "nothing_to_add"


_CARD = """json_build_object('id', {c}.id, 'type', {type}, 'organization_name', {org}, 'last_name', {c}.last_name,
  'first_name', {c}.first_name, 'middle_name', {c}.middle_name, 'child_name', {c}.child_name, 'phone', {c}.phone)"""

# PEOPLE-VIEW-01/03 in one statement over the app context (bff/brands/context.py). $4: the premise
# asked for, else the context's current premise (the one the Profile's People block counts); none
# at all: the account's guests.
PEOPLE_SQL = CONTEXT + f""", target AS (
  SELECT m.premise_id, m.role, m.partner_id FROM mine m
  WHERE m.premise_id = COALESCE($4::uuid, (SELECT premise_id FROM cur)) ORDER BY m.pos LIMIT 1
)
SELECT json_build_object(
  'premise', (SELECT json_build_object('id', t.premise_id, 'role', t.role, 'address', {address_sql('p')},
                 'events', COALESCE('events' = ANY(pa.products), false))
              FROM target t JOIN premise p ON p.id = t.premise_id JOIN partner pa ON pa.id = t.partner_id),
  'members', (SELECT COALESCE(json_agg(json_build_object(
        'card', {_CARD.format(c="c", type="c.type", org="c.organization_name")},
        'account', CASE WHEN a.id IS NOT NULL AND {APP_PROFILE_SHOWN_SQL.format(a="a", c="c")} THEN json_build_object('name', a.name, 'last_name', a.last_name,
                     'first_name', a.first_name, 'middle_name', a.middle_name, 'photo_url', a.photo_url) END,
        'role', pl.role, 'rent_day', pl.rent_day, 'added_by_account_id', pl.added_by_account_id,
        'is_me', EXISTS (SELECT 1 FROM mine WHERE mine.client_id = c.id)) ORDER BY pl.linked_at, pl.id), '[]'::json)
      FROM target t JOIN premise_link pl ON pl.premise_id = t.premise_id JOIN client c ON c.id = pl.client_id
      LEFT JOIN account a ON a.phone = c.phone),
  'guests', CASE WHEN $4::uuid IS NULL AND NOT EXISTS (SELECT 1 FROM cur) THEN COALESCE(
      (SELECT json_agg({_CARD.format(c="g", type="NULL", org="NULL")} ORDER BY g.created_at, g.id)
       FROM guest g WHERE g.account_id = $1::uuid), '[]'::json) END,
  'events_in_context', {EVENTS_IN_CONTEXT_SQL.format(app='$3::text')})::text"""


async def people_screen(db: AsyncSession, viewer: Viewer, premise_id: uuid.UUID | None) -> PeopleScreen:
    """PEOPLE-VIEW-01/03: the People of a premise (the current one when none is named)."""
    row = await fetch_view(db, PeopleRow, PEOPLE_SQL, viewer.account_id, viewer.session_id, viewer.app_id, premise_id)
    premise = row.premise
    if premise is None and premise_id is not None:
        raise NotFound("Помещение не найдено")
    events = row.events_in_context
    if premise is None:
        people = [PeopleScreenPerson(person_id=g.id, name=display_name(g, None), can_manage=True)
                  for g in row.guests or []]
        return PeopleScreen(premise_id=None, groups=[PeopleGroup(role=rules.GUEST, people=people)] if people else [],
                            can_add_people=False, can_add_guests=events, tabs=[],
                            empty_state=None if people else _empty_state(False, events))
    viewer_id = str(viewer.account_id)
    by_role: dict[str, list[PeopleScreenPerson]] = {}
    for m in row.members or []:
        by_role.setdefault(m.role, []).append(PeopleScreenPerson(
            person_id=m.card.id, name=display_name(m.card, m.account),
            photo_url=m.account.photo_url if m.account else None, is_me=m.is_me,
            can_manage=rules.may_manage_link(link_added_by_account=m.added_by_account_id, viewer_account=viewer_id),
            rent_day=m.rent_day))
    groups = [PeopleGroup(role=role, people=by_role[role]) for role in rules.GROUP_ORDER if role in by_role]
    can_people = rules.can_add_people(premise.role)
    alone = all(m.is_me for m in row.members or [])
    return PeopleScreen(premise_id=premise.id, address=premise.address, groups=groups,
                        can_add_people=can_people, can_add_guests=premise.events, tabs=["people", "accesses"],
                        empty_state=_empty_state(can_people, premise.events) if alone else None)


async def all_people_screen(db: AsyncSession, viewer: Viewer) -> AllPeopleScreen:
    """PEOPLE-VIEW-01 "All": everyone sharing a premise, with the count of shared premises, and
    the account's guests."""
    mine = await accesses(db, viewer.account_id)
    shared = await repository.shared_people(db, viewer.account_id, mine)
    people = sorted((AllPeopleItem(person_id=str(s.person.id), name=s.person.name(),
                                   photo_url=s.person.profile.photo_url if s.person.profile else None,
                                   shared_premises=len(s.premise_ids), is_guest=False) for s in shared),
                    key=lambda p: p.name.casefold())
    guests = sorted((AllPeopleItem(person_id=str(g.id), name=display_name(g, None), shared_premises=0, is_guest=True)
                     for g in await repository.guests_of(db, viewer.account_id)), key=lambda p: p.name.casefold())
    can_people = any(rules.can_add_people(a.role) for a in mine)
    events = await can_add_guests(db, viewer)
    everyone = people + guests
    return AllPeopleScreen(people=everyone, can_add_guests=events, can_add_people=can_people,
                           tabs=["people", "accesses"] if mine else [],
                           empty_state=None if everyone else _empty_state(can_people, events))


async def accesses_screen(db: AsyncSession, viewer: Viewer) -> AccessesScreen:
    """PEOPLE-VIEW-02: the account's premises with its role in each, in My Premises order."""
    mine = await accesses(db, viewer.account_id)
    premises = await repository.premises_by_id(db, [a.premise_id for a in mine])
    return AccessesScreen(items=[AccessItem(premise_id=str(a.premise_id), address=full_address(premises[a.premise_id]),
                                            role=a.role, can_add_people=rules.can_add_people(a.role))
                                 for a in mine])


async def person_card(db: AsyncSession, viewer: Viewer, person: Person, today: date) -> PersonCard:
    """PEOPLE-CARD-01."""
    """PEOPLE-CARD-01: photo, phone (not a child's), e-mail if set, profile creation date, invite
    link — and nothing else: no adult's birth date, and none of the app-side data of someone who
    has not opened the app since the viewer could see them (`Person.profile`)."""
    added = await repository.added_by_viewer(db, viewer.account_id, person)
    rights = rules.card_rights(added_by_viewer=added, is_guest=person.is_guest)
    child = person.is_child(today)
    profile = person.profile
    # A guest's e-mail is the viewer's own note; a card's is the person's app profile's.
    is_me = person.account is not None and person.account.id == viewer.account_id
    if person.is_guest:
        email = person.guest.email
    else:
        email = (profile.email if profile else None) or (person.main.email if is_me else None)
    return PersonCard(
        person_id=str(person.id), name=person.name(), photo_url=profile.photo_url if profile else None,
        phone=None if child else person.phone, email=email, created_at=repository.created_at_of(person),
        can_delete=rights.can_delete, can_edit=rights.can_edit, is_guest=person.is_guest, is_child=child,
        is_me=is_me,
        birth_date=rules.card_birth_date(person.birth_date, child=child, added_by_viewer=added),
        can_attend_events=rules.may_sign_up_for_events(person.birth_date),
        invite_link=await invite_link(db, viewer.app_id))


async def person_premises(db: AsyncSession, viewer: Viewer, person: Person) -> PersonPremises:
    """PEOPLE-CARD-02: shared premises only, other partners' included; rent day under a tenant's
    address; empty for a guest."""
    rows = await repository.shared_premises(db, viewer.account_id, person)
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
    people = await repository.saved_people(db, viewer.account_id, phone, exclude_premise=premise_id)
    return SavedPeople(items=[SavedPerson(person_id=str(p.id), name=p.name(), is_guest=p.is_guest,
                                          is_child=p.is_child(today)) for p in people])
