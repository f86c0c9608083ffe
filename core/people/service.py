"""Adding people to premises from the app and managing them (PEOPLE-ADD-*, PEOPLE-CARD-01).
Every decision is a call to `core.people.rules`; this module loads, writes and flushes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import repository as clients
from core.clients import rules as client_rules
from core.clients.rules import ClientCode
from core.errors import Conflict, InvalidInput, NotFound, PermissionDenied
from core.estate.premises import full_address
from core.models import Client, Guest, Premise, PremiseLink
from core.notifications.rules import people_link
from core.notifications.service import notify_phone
from core.people import repository, rules
from core.people.repository import Person
from core.people.rules import PeopleCode
from core.phones import normalize_phone
from core.residents.access import PremiseAccess, premise_access

ROLE_LABELS = {
    "owner": "собственник", "resident": "житель / член семьи", "tenant": "арендатор",
    "representative": "представитель", "unconfirmed_owner": "неподтвержденный собственник", "guest": "гость",
}
NAME_FIELDS = ("last_name", "first_name", "middle_name", "child_name")


@dataclass(frozen=True, slots=True)
class Viewer:
    """The resident acting, and the app they act in."""

    account_id: uuid.UUID
    session_id: uuid.UUID
    app_id: str


@dataclass(frozen=True, slots=True)
class NewPerson:
    role: str
    premise_id: uuid.UUID | None = None
    phone: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    child_name: str | None = None
    gender: str | None = None
    birth_date: date | None = None
    rent_day: int | None = None


def _clean_names(values: dict) -> dict:
    """CRM-CLI-02 letters only, for every name a resident types."""
    return {name: client_rules.full_name_part(values.get(name), name) for name in NAME_FIELDS}


async def can_add_guests(db: AsyncSession, viewer: Viewer) -> bool:
    return await repository.events_in_context(db, account_id=viewer.account_id, session_id=viewer.session_id,
                                           app_id=viewer.app_id)


async def add_person(db: AsyncSession, now: datetime, viewer: Viewer, new: NewPerson) -> uuid.UUID:
    """PEOPLE-ADD-01..05/07/08: a new adult or child, as a guest of the account or with access to
    one of its premises. Returns the person id."""
    today = now.date()
    rules.check_role_known(new.role)
    rules.check_birth_date(new.birth_date, today)
    names = _clean_names({name: getattr(new, name) for name in NAME_FIELDS})
    child = rules.is_child(new.birth_date, today)
    rules.check_person_fields(new.role, child=child, phone=new.phone, last_name=names["last_name"],
                              first_name=names["first_name"], child_name=names["child_name"])
    phone = normalize_phone(new.phone) if new.phone else None
    if new.role == rules.GUEST:
        if new.premise_id is not None:
            raise InvalidInput.field("premise_id", "Гость не получает доступ к помещению")
        rules.check_rent_day(new.role, new.rent_day)
        rules.check_guests_available(await can_add_guests(db, viewer))
        guest = Guest(account_id=viewer.account_id, phone=phone, gender=new.gender, birth_date=new.birth_date,
                      **names)
        db.add(guest)
        await db.flush()
        return guest.id

    if new.premise_id is None:
        raise InvalidInput.field("premise_id", "Укажите помещение, к которому человек получит доступ")
    access = await premise_access(db, viewer.account_id, new.premise_id)
    rules.check_may_give(access.role, new.role)
    rules.check_rent_day(new.role, new.rent_day)
    card = None
    if phone is not None:
        card = await clients.card_by_phone(db, access.partner_id, phone)
        if card is not None:
            rules.check_phone_owner_name((card.last_name, card.first_name, card.middle_name),
                                         (names["last_name"], names["first_name"], names["middle_name"]))
    if card is None:
        card = Client(partner_id=access.partner_id, phone=phone, type="individual", status="active", tags=[],
                      gender=new.gender, birth_date=new.birth_date, created_by_account_id=viewer.account_id,
                      **names)
        db.add(card)
        await db.flush()
    await _link(db, now, viewer, access, card, new.role, new.rent_day)
    return card.id


async def add_existing(db: AsyncSession, now: datetime, viewer: Viewer, premise_id: uuid.UUID,
                       person_id: uuid.UUID, role: str, rent_day: int | None) -> PremiseLink:
    """PEOPLE-ADD-04 (someone saved before, a guest included) and adding a person from their
    card: they get a card in the premise's partner, if they have none there, and a link."""
    access = await premise_access(db, viewer.account_id, premise_id)
    rules.check_may_give(access.role, role)
    rules.check_rent_day(role, rent_day)
    person = await repository.find_person(db, viewer.account_id, person_id)
    if person.is_child(now.date()):
        rules.check_child(role, phone=None)
    elif person.phone is None:
        raise InvalidInput.field("person_id", "Чтобы дать доступ к помещению, укажите телефон человека")
    card = next((c for c in person.cards if c.partner_id == access.partner_id), None)
    if card is None:
        card = await _card_in_partner(db, now, viewer, access.partner_id, person)
    link = await _link(db, now, viewer, access, card, role, rent_day)
    if person.is_guest:
        # The guest now has a card and access: one person, not a guest and a namesake.
        await db.delete(person.guest)
        await db.flush()
    return link


async def _card_in_partner(db: AsyncSession, now: datetime, viewer: Viewer, partner_id: uuid.UUID,
                           person: Person) -> Client:
    source = person.main
    names = (source.last_name, source.first_name, source.middle_name)
    if source.phone is not None:
        existing = await clients.card_by_phone(db, partner_id, source.phone)
        if existing is not None:
            rules.check_phone_owner_name((existing.last_name, existing.first_name, existing.middle_name), names)
            return existing
    card = Client(partner_id=partner_id, phone=source.phone, type="individual", status="active", tags=[],
                  last_name=source.last_name, first_name=source.first_name, middle_name=source.middle_name,
                  child_name=source.child_name, gender=source.gender, birth_date=source.birth_date,
                  email=source.email, created_by_account_id=viewer.account_id)
    db.add(card)
    await db.flush()
    return card


async def _link(db: AsyncSession, now: datetime, viewer: Viewer, access: PremiseAccess, card: Client, role: str,
                rent_day: int | None) -> PremiseLink:
    if await clients.link(db, access.premise_id, card.id) is not None:
        raise Conflict("Этот человек уже добавлен к помещению", code=ClientCode.ALREADY_LINKED)
    # The adder is an owner or an unconfirmed owner (check_may_give): the new access depends on them.
    link = PremiseLink(partner_id=access.partner_id, premise_id=access.premise_id, client_id=card.id, role=role,
                       depends_on_client_id=access.client_id, rent_day=rent_day, online_payment=True,
                       keep_on_integration=False, added_by_account_id=viewer.account_id)
    db.add(link)
    await db.flush()
    if card.phone is not None:
        premise = await db.get(Premise, access.premise_id)
        await notify_people_added(db, now, card.phone, premise, role)
    return link


async def notify_people_added(db: AsyncSession, now: datetime, phone: str, premise: Premise, role: str) -> None:
    """PEOPLE-ADD-07: the added person's inbox and, if they are logged in, a push opening the People
    screen of the premise."""

    await notify_phone(db, phone=phone, partner_id=premise.partner_id, type="people",
                       title="Вам открыли доступ к помещению",
                       body=f"{full_address(premise)}: роль «{ROLE_LABELS[role]}»",
                       deep_link=people_link(premise.id), premise_id=premise.id, now=now)


async def _managed_link(db: AsyncSession, viewer: Viewer, premise_id: uuid.UUID,
                        person_id: uuid.UUID) -> tuple[PremiseAccess, Person, PremiseLink]:
    access = await premise_access(db, viewer.account_id, premise_id)
    person = await repository.find_person(db, viewer.account_id, person_id)
    link = None
    if not person.is_guest:
        link = await repository.link_of_cards(db, premise_id, [c.id for c in person.cards])
    if link is None:
        raise NotFound("Этот человек не добавлен к помещению")
    rules.check_may_manage_link(link_added_by_account=link.added_by_account_id, viewer_account=viewer.account_id)
    return access, person, link


async def update_link(db: AsyncSession, now: datetime, viewer: Viewer, premise_id: uuid.UUID,
                      person_id: uuid.UUID, changes: dict) -> PremiseLink:
    """PEOPLE-CARD-01: change the role or the rent day of a link the viewer created."""
    access, person, link = await _managed_link(db, viewer, premise_id, person_id)
    role = changes.get("role") or link.role
    if role != link.role:
        rules.check_may_give(access.role, role)
        if person.is_child(now.date()):
            rules.check_child(role, phone=None)
    if "rent_day" in changes:
        rent_day = changes["rent_day"]
    else:
        rent_day = link.rent_day if role == "tenant" else None
    rules.check_rent_day(role, rent_day)
    link.role, link.rent_day = role, rent_day
    await db.flush()
    return link


async def remove_link(db: AsyncSession, viewer: Viewer, premise_id: uuid.UUID, person_id: uuid.UUID) -> None:
    """PEOPLE-CARD-01: remove access the viewer gave (never one given by staff, CRM-LINK-01)."""
    _, _, link = await _managed_link(db, viewer, premise_id, person_id)
    await db.delete(link)
    await db.flush()


async def update_guest(db: AsyncSession, now: datetime, viewer: Viewer, person_id: uuid.UUID,
                       changes: dict) -> Person:
    """PEOPLE-CARD-01: only a guest's data can be edited (by the account that saved them)."""
    person = await repository.find_person(db, viewer.account_id, person_id)
    if not person.is_guest:
        raise PermissionDenied("Редактировать данные можно только у гостя", code=PeopleCode.NOT_A_GUEST)
    guest = person.guest
    today = now.date()
    if "birth_date" in changes:
        rules.check_birth_date(changes["birth_date"], today)
    cleaned = _clean_names(changes)
    for name in NAME_FIELDS:
        if name in changes:
            setattr(guest, name, cleaned[name])
    for name in ("gender", "birth_date"):
        if name in changes:
            setattr(guest, name, changes[name])
    if "phone" in changes:
        guest.phone = normalize_phone(changes["phone"]) if changes["phone"] else None
    child = rules.is_child(guest.birth_date, today)
    rules.check_person_fields(rules.GUEST, child=child, phone=guest.phone, last_name=guest.last_name,
                              first_name=guest.first_name, child_name=guest.child_name)
    await db.flush()
    return person


async def delete_person(db: AsyncSession, viewer: Viewer, person_id: uuid.UUID) -> None:
    """PEOPLE-CARD-01: delete only a person the viewer added. A guest goes; of a person with access
    the viewer's links go and they stop being among its saved people. The partner's CRM cards stay:
    they may carry orders and history that belong to the partner."""
    person = await repository.find_person(db, viewer.account_id, person_id)
    added = await repository.added_by_viewer(db, viewer.account_id, person)
    if not rules.card_rights(added_by_viewer=added, is_guest=person.is_guest).can_delete:
        raise PermissionDenied("Удалить можно только того, кого вы добавили сами", code=PeopleCode.PERSON_NOT_YOURS)
    if person.is_guest:
        await db.delete(person.guest)
        await db.flush()
        return
    card_ids = [c.id for c in person.cards]
    links = await repository.links_added_by(db, viewer.account_id, card_ids)
    for link in links:
        await db.delete(link)
    await db.execute(update(Client).where(Client.id.in_(card_ids), Client.created_by_account_id == viewer.account_id)
                     .values(created_by_account_id=None))
    await db.flush()
