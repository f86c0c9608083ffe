"""Bodies of the People area (PEOPLE-VIEW-01..03, PEOPLE-ADD-01..07, PEOPLE-CARD-01..02): requests to add
and change people, the screens and cards, and the rows of the People screen's one statement."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from msgspec import UNSET, Meta, UnsetType

from web.schemas import Id, Input, Output, Phone

# Every role a person can hold. Owners and unconfirmed owners are valid roles that the app may
# not give (PEOPLE-ADD-02): they pass the schema and are refused by the rule with 403.
PersonRole = Literal["owner", "resident", "representative", "tenant", "unconfirmed_owner", "guest"]
LinkRole = Literal["owner", "resident", "representative", "tenant", "unconfirmed_owner"]
RentDay = Annotated[int, Meta(ge=1, le=31, description="day of the month the rent is due; 29-31 fall on the "
                                                       "last day of shorter months")]
NamePart = Annotated[str, Meta(max_length=100)]
Gender = Literal["male", "female"]
EmptyState = Literal["add_people", "add_guests", "add_guests_or_people", "nothing_to_add"]
Tab = Literal["people", "accesses"]


class AddPersonRequest(Input, kw_only=True):
    """A new person: `guest` without a premise; any other role with the premise they get access to.
    A child (under 18 by birth date) has no phone, `child_name` says how to address them."""

    role: PersonRole
    premise_id: Id | None = None
    phone: Phone | None = None
    last_name: NamePart | None = None
    first_name: NamePart | None = None
    middle_name: NamePart | None = None
    child_name: NamePart | None = None
    gender: Gender | None = None
    birth_date: date | None = None
    rent_day: RentDay | None = None


class AddPremisePersonRequest(Input, kw_only=True):
    person_id: Id
    role: PersonRole
    rent_day: RentDay | None = None


class UpdatePremisePersonRequest(Input, kw_only=True):
    role: PersonRole | UnsetType = UNSET
    rent_day: RentDay | None | UnsetType = UNSET


class UpdatePersonRequest(Input, kw_only=True):
    """A guest's data (PEOPLE-CARD-01: only guests are edited in the app)."""

    phone: Phone | None | UnsetType = UNSET
    last_name: NamePart | None | UnsetType = UNSET
    first_name: NamePart | None | UnsetType = UNSET
    middle_name: NamePart | None | UnsetType = UNSET
    child_name: NamePart | None | UnsetType = UNSET
    gender: Gender | None | UnsetType = UNSET
    birth_date: date | None | UnsetType = UNSET


class PersonCreated(Output, kw_only=True):
    person_id: str


class PremisePersonLink(Output, kw_only=True):
    person_id: str
    premise_id: str
    role: str
    rent_day: int | None = None


class PeopleScreenPerson(Output, kw_only=True):
    person_id: str
    name: str
    photo_url: str | None = None
    is_me: bool = False
    # The viewer gave this access, so may change the role, the rent day or remove it.
    can_manage: bool = False
    rent_day: int | None = None


class PeopleGroup(Output, kw_only=True):
    role: str
    people: list[PeopleScreenPerson]


class PeopleScreen(Output, kw_only=True):
    """People of one premise grouped by role (PEOPLE-VIEW-01). Without premises the screen is the
    account's guest list, one group `guest`, and no tabs (PEOPLE-VIEW-03)."""

    premise_id: str | None
    address: str | None = None
    groups: list[PeopleGroup]
    can_add_people: bool
    can_add_guests: bool
    tabs: list[Tab]
    empty_state: EmptyState | None = None


class AllPeopleItem(Output, kw_only=True):
    person_id: str
    name: str
    photo_url: str | None = None
    shared_premises: int
    is_guest: bool


class AllPeopleScreen(Output, kw_only=True):
    people: list[AllPeopleItem]
    can_add_guests: bool
    can_add_people: bool
    tabs: list[Tab]
    empty_state: EmptyState | None = None


class AccessItem(Output, kw_only=True):
    premise_id: str
    address: str
    role: str
    can_add_people: bool


class AccessesScreen(Output, kw_only=True):
    items: list[AccessItem]


class SavedPerson(Output, kw_only=True):
    person_id: str
    name: str
    is_guest: bool
    is_child: bool


class SavedPeople(Output, kw_only=True):
    items: list[SavedPerson]


class PersonCard(Output, kw_only=True):
    person_id: str
    name: str
    photo_url: str | None = None
    phone: str | None = None
    email: str | None = None
    created_at: datetime
    can_delete: bool
    can_edit: bool
    is_guest: bool
    is_child: bool
    is_me: bool
    birth_date: date | None = None
    # PEOPLE-ADD-05: without a birth date a person cannot be signed up for events.
    can_attend_events: bool
    invite_link: str


class PersonPremise(Output, kw_only=True):
    premise_id: str
    address: str
    role: str
    rent_day: int | None = None
    can_manage: bool = False


class PersonPremises(Output, kw_only=True):
    items: list[PersonPremise]


# ---- rows of the People screen's one statement (bff/people/assembler.py) ----------------------

class PeopleAccountRow(Output, kw_only=True):
    name: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    photo_url: str | None = None


class PeopleCardRow(Output, kw_only=True):
    """A client card or a guest, with what core.people.repository.display_name reads."""

    id: str
    type: str | None = None
    organization_name: str | None = None
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    child_name: str | None = None
    phone: str | None = None


class PeopleMemberRow(Output, kw_only=True):
    card: PeopleCardRow
    account: PeopleAccountRow | None = None
    role: str
    rent_day: int | None = None
    added_by_account_id: str | None = None
    is_me: bool


class PeoplePremiseRow(Output, kw_only=True):
    id: str
    role: str
    address: str
    events: bool


class PeopleRow(Output, kw_only=True):
    premise: PeoplePremiseRow | None = None
    members: list[PeopleMemberRow] | None = None
    guests: list[PeopleCardRow] | None = None
    events_in_context: bool
