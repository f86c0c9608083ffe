"""People: who is linked to a premise, adding family members, tenants, representatives and guests,
and person cards (`/app/v1`, SPEC section 6). Thin: parse, one call, a Struct back."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession

from bff.people import assembler
from bff.people.schemas import (AccessesScreen, AddPersonRequest, AddPremisePersonRequest, AllPeopleScreen,
                                PeopleScreen, PersonCard, PersonCreated, PersonPremises, PremisePersonLink,
                                SavedPeople, UpdatePersonRequest, UpdatePremisePersonRequest)
from bff.cache import SCREEN_RESIDENT, screen_answer
from core.auth.service import ResidentPrincipal
from core.people import repository, service
from core.people.service import NewPerson, Viewer
from core.infra.runtime import Runtime
from web.deps import RESIDENT, RESIDENT_SECURITY
from web.ids import parse_id, path_id
from core.errors import Common
from core.clients.rules import ClientCode
from core.people.rules import PeopleCode
from core.phones import PhoneCode
from core.residents.rules import ResidentCode
from web.problems import problems
from web.schemas import changes_of

PremiseQuery = Annotated[str | None, Parameter(max_length=64, description="a premise of the account")]


def _viewer(resident: ResidentPrincipal) -> Viewer:
    return Viewer(account_id=resident.account_id, session_id=resident.session_id, app_id=resident.app_id)


def _premise_query(value: str | None):
    return path_id(value) if value else None


class PeopleController(Controller):
    path = "/app/v1"
    tags = ["App: people"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @get("/screens/people", operation_id="GetPeopleScreen", responses=problems(Common.NOT_FOUND),
         dependencies=SCREEN_RESIDENT)
    async def people_screen(self, request: Request, resident: ResidentPrincipal,
                            premise_id: PremiseQuery = None) -> Response[PeopleScreen]:
        """PEOPLE-VIEW-01/03: people of a premise grouped by role (the current premise by default)."""
        premise = _premise_query(premise_id)
        return await screen_answer(request, resident,
                                   lambda db: assembler.people_screen(db, _viewer(resident), premise))

    @get("/screens/people/all", operation_id="GetAllPeopleScreen", responses=problems(),
         dependencies=SCREEN_RESIDENT)
    async def all_people_screen(self, request: Request, resident: ResidentPrincipal) -> Response[AllPeopleScreen]:
        """PEOPLE-VIEW-01: everyone sharing a premise with the account, and its guests."""
        return await screen_answer(request, resident, lambda db: assembler.all_people_screen(db, _viewer(resident)))

    @get("/screens/people/accesses", operation_id="GetPeopleAccessesScreen", responses=problems(),
         dependencies=SCREEN_RESIDENT)
    async def accesses_screen(self, request: Request, resident: ResidentPrincipal) -> Response[AccessesScreen]:
        """PEOPLE-VIEW-02: the account's premises with its role in each."""
        return await screen_answer(request, resident, lambda db: assembler.accesses_screen(db, _viewer(resident)))

    @post("/people", status_code=HTTP_201_CREATED, operation_id="AddPerson",
          responses=problems(Common.NOT_FOUND, Common.CONFLICT, Common.RULE_VIOLATION, PhoneCode.INVALID_PHONE, PeopleCode.CANNOT_ADD_PEOPLE, PeopleCode.OWNER_ONLY_ROLE, PeopleCode.STAFF_ONLY_ROLE, ClientCode.ALREADY_LINKED, PeopleCode.CHILD_ROLE, PeopleCode.GUESTS_UNAVAILABLE, PeopleCode.PHONE_NAME_MISMATCH))
    async def add_person(self, resident: ResidentPrincipal, data: AddPersonRequest, runtime: Runtime,
                         db: AsyncSession) -> PersonCreated:
        """PEOPLE-ADD-01..08: a new person, with access to a premise or as a guest."""
        fields = changes_of(data, ids=("premise_id",))
        person_id = await service.add_person(db, runtime.clock.now(), _viewer(resident), NewPerson(**fields))
        return PersonCreated(person_id=str(person_id))

    @get("/people/saved", operation_id="ListSavedPeople", responses=problems(Common.NOT_FOUND, ResidentCode.ACCOUNT_MISSING))
    async def saved_people(self, resident: ResidentPrincipal, runtime: Runtime, db: AsyncSession,
                           premise_id: PremiseQuery = None) -> SavedPeople:
        """PEOPLE-ADD-04: people the account added itself (guests included), to add to a premise;
        with `premise_id`, those already there are left out."""
        return await assembler.saved_people(db, _viewer(resident), _premise_query(premise_id),
                                            runtime.clock.now().date())

    @get("/people/{person_id:str}", operation_id="GetPersonCard", responses=problems(Common.NOT_FOUND))
    async def person_card(self, resident: ResidentPrincipal, person_id: str, runtime: Runtime,
                          db: AsyncSession) -> PersonCard:
        """PEOPLE-CARD-01."""
        person = await repository.find_person(db, resident.account_id, path_id(person_id))
        return await assembler.person_card(db, _viewer(resident), person, runtime.clock.now().date())

    @patch("/people/{person_id:str}", operation_id="UpdatePerson", responses=problems(Common.NOT_FOUND, PhoneCode.INVALID_PHONE, PeopleCode.NOT_A_GUEST))
    async def update_person(self, resident: ResidentPrincipal, person_id: str, data: UpdatePersonRequest,
                            runtime: Runtime, db: AsyncSession) -> PersonCard:
        """PEOPLE-CARD-01: only a guest's data can be edited."""
        now = runtime.clock.now()
        person = await service.update_guest(db, now, _viewer(resident), path_id(person_id), changes_of(data))
        return await assembler.person_card(db, _viewer(resident), person, now.date())

    @delete("/people/{person_id:str}", status_code=HTTP_204_NO_CONTENT, operation_id="DeletePerson",
            responses=problems(Common.NOT_FOUND, PeopleCode.PERSON_NOT_YOURS))
    async def delete_person(self, resident: ResidentPrincipal, person_id: str, db: AsyncSession) -> None:
        """PEOPLE-CARD-01: only a person the account added."""
        await service.delete_person(db, _viewer(resident), path_id(person_id))

    @get("/people/{person_id:str}/premises", operation_id="GetPersonPremises", responses=problems(Common.NOT_FOUND))
    async def person_premises(self, resident: ResidentPrincipal, person_id: str, db: AsyncSession) -> PersonPremises:
        """PEOPLE-CARD-02: the premises the account shares with this person."""
        person = await repository.find_person(db, resident.account_id, path_id(person_id))
        return await assembler.person_premises(db, _viewer(resident), person)

    @post("/premises/{premise_id:str}/people", status_code=HTTP_201_CREATED, operation_id="AddPremisePerson",
          responses=problems(Common.NOT_FOUND, Common.CONFLICT, Common.RULE_VIOLATION, PeopleCode.CANNOT_ADD_PEOPLE, PeopleCode.OWNER_ONLY_ROLE, PeopleCode.STAFF_ONLY_ROLE, ClientCode.ALREADY_LINKED, PeopleCode.CHILD_ROLE, PeopleCode.PHONE_NAME_MISMATCH))
    async def add_premise_person(self, resident: ResidentPrincipal, premise_id: str, data: AddPremisePersonRequest,
                                 runtime: Runtime, db: AsyncSession) -> PremisePersonLink:
        """PEOPLE-ADD-04: give someone saved before (or from their card) access to a premise."""
        person_id = parse_id(data.person_id, "person_id")
        await service.add_existing(db, runtime.clock.now(), _viewer(resident), path_id(premise_id),
                                   person_id, data.role, data.rent_day)
        return PremisePersonLink(person_id=data.person_id, premise_id=premise_id, role=data.role,
                                 rent_day=data.rent_day)

    @patch("/premises/{premise_id:str}/people/{person_id:str}", operation_id="UpdatePremisePerson",
           responses=problems(Common.NOT_FOUND, Common.RULE_VIOLATION, PeopleCode.CANNOT_ADD_PEOPLE, PeopleCode.OWNER_ONLY_ROLE, PeopleCode.STAFF_ONLY_ROLE, PeopleCode.CHILD_ROLE, PeopleCode.LINK_NOT_YOURS))
    async def update_premise_person(self, resident: ResidentPrincipal, premise_id: str, person_id: str,
                                    data: UpdatePremisePersonRequest, runtime: Runtime,
                                    db: AsyncSession) -> PremisePersonLink:
        """PEOPLE-CARD-01: change the role or rent day of an access the account gave."""
        link = await service.update_link(db, runtime.clock.now(), _viewer(resident), path_id(premise_id),
                                         path_id(person_id), changes_of(data))
        return PremisePersonLink(person_id=person_id, premise_id=premise_id, role=link.role, rent_day=link.rent_day)

    @delete("/premises/{premise_id:str}/people/{person_id:str}", status_code=HTTP_204_NO_CONTENT,
            operation_id="RemovePremisePerson", responses=problems(Common.NOT_FOUND, PeopleCode.LINK_NOT_YOURS))
    async def remove_premise_person(self, resident: ResidentPrincipal, premise_id: str, person_id: str,
                                    db: AsyncSession) -> None:
        """PEOPLE-CARD-01, CRM-LINK-01: remove an access the account gave (never one staff gave)."""
        await service.remove_link(db, _viewer(resident), path_id(premise_id), path_id(person_id))
