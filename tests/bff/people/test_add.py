"""Adding people from the app (PEOPLE-ADD-01..05, 08) and the bad input of the People API."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from core.models import Account, Client, Guest, PremiseLink
from core.people.rules import NAME_CLASH
from tests.bff.people.conftest import add, adult, names_by_role, new_phone, people_screen
from tests.support import bearer, expect, login_resident


async def _counts(db) -> tuple[int, int, int]:
    return (await db.scalar(select(func.count()).select_from(Client)),
            await db.scalar(select(func.count()).select_from(PremiseLink)),
            await db.scalar(select(func.count()).select_from(Guest)))


async def test_people_add_01_owners_and_unconfirmed_owners_add_others_only_view(http, estate, owner):
    """Rule: PEOPLE-ADD-01"""
    unconfirmed = await estate.person(estate.premise_id, "unconfirmed_owner", depends_on=owner.client_id)
    resident = await estate.person(estate.premise_id, "resident", depends_on=owner.client_id)
    tenant = await estate.person(estate.premise_id, "tenant", depends_on=owner.client_id, rent_day=5)
    representative = await estate.person(estate.premise_id, "representative", depends_on=owner.client_id)

    for adder in (owner, unconfirmed):
        await add(http, adder, adult("resident", estate.premise_id))
        assert (await people_screen(http, adder, estate.premise_id))["can_add_people"] is True
    for viewer in (resident, tenant, representative):
        refused = await add(http, viewer, adult("resident", estate.premise_id), 403)
        assert refused["code"] == "cannot_add_people"
        screen = await people_screen(http, viewer, estate.premise_id)   # they still view
        assert screen["can_add_people"] is False
        assert len(names_by_role(screen)["resident"]) == 3


async def test_people_add_01_others_may_add_guests_where_events_exist(http, events_estate):
    """Rule: PEOPLE-ADD-01 — a non-owner adds guests when the partner has events."""
    owner = await events_estate.person(events_estate.premise_id, "owner")
    tenant = await events_estate.person(events_estate.premise_id, "tenant", depends_on=owner.client_id, rent_day=1)
    guest = await add(http, tenant, adult("guest", phone=None))
    assert (await people_screen(http, tenant, events_estate.premise_id))["can_add_guests"] is True
    all_people = expect(await http.get("/app/v1/screens/people/all", headers=tenant.headers), 200)
    assert [p for p in all_people["people"] if p["is_guest"]] == [
        {"person_id": guest["person_id"], "name": "Сидорова Мария", "photo_url": None, "shared_premises": 0,
         "is_guest": True}]


async def test_people_add_02_app_gives_only_resident_representative_tenant_guest(http, db, estate, owner):
    """Rule: PEOPLE-ADD-02"""
    for role, extra in (("resident", {}), ("representative", {}), ("tenant", {"rent_day": 10})):
        await add(http, owner, adult(role, estate.premise_id, **extra))
    before = await _counts(db)
    for role in ("owner", "unconfirmed_owner"):
        refused = await add(http, owner, adult(role, estate.premise_id), 403)
        assert refused["code"] == "staff_only_role"
    assert await _counts(db) == before
    groups = names_by_role(await people_screen(http, owner, estate.premise_id))
    assert set(groups) == {"owner", "resident", "representative", "tenant"}


async def test_people_add_02_only_a_confirmed_owner_adds_a_representative(http, db, estate, owner):
    """Rule: PEOPLE-ADD-02 — an unconfirmed owner adds residents and tenants, not representatives."""
    unconfirmed = await estate.person(estate.premise_id, "unconfirmed_owner", depends_on=owner.client_id)
    refused = await add(http, unconfirmed, adult("representative", estate.premise_id), 403)
    assert refused["code"] == "owner_only_role"
    await add(http, unconfirmed, adult("tenant", estate.premise_id, rent_day=3))
    await add(http, owner, adult("representative", estate.premise_id))


async def test_people_add_03_phone_with_another_name_is_refused_with_the_message(http, db, estate, owner):
    """Rule: PEOPLE-ADD-03"""
    phone = new_phone()
    known = await estate.client_for(phone, "Кузнецов", "Олег")
    before = await _counts(db)
    refused = await add(http, owner, adult("resident", estate.premise_id, phone=phone, last_name="Кузнецова",
                                           first_name="Ольга"), 422)
    assert refused["detail"] == NAME_CLASH == (
        "Номер уже зарегистрирован с другими ФИО. Проверьте корректность введенных данных и попробуйте "
        "еще раз или создайте заявку в управляющую компанию")
    assert refused["code"] == "phone_name_mismatch"
    assert await _counts(db) == before

    # The same phone and name (in another spelling of the phone): the existing person is linked.
    same = await add(http, owner, adult("resident", estate.premise_id, phone="8" + phone[2:], last_name="кузнецов",
                                        first_name="Олег"))
    assert same["person_id"] == known
    assert (await _counts(db))[0] == before[0]


async def test_people_add_04_saved_people_are_only_those_the_account_added(http, estate, owner):
    """Rule: PEOPLE-ADD-04"""
    second = await estate.premise("13")
    await estate.link(second, owner.client_id, "owner")
    other_owner = await estate.person(estate.premise_id, "owner")
    mine = await add(http, owner, adult("resident", estate.premise_id, last_name="Моя", first_name="Семья"))
    theirs = await add(http, other_owner, adult("resident", estate.premise_id, last_name="Чужая", first_name="Семья"))
    by_staff = await estate.person(estate.premise_id, "resident", depends_on=owner.client_id, login=False,
                                   last_name="Штатный", first_name="Житель")

    saved = expect(await http.get("/app/v1/people/saved", headers=owner.headers), 200)["items"]
    assert [p["person_id"] for p in saved] == [mine["person_id"]]
    # Already on the premise: not offered for it.
    assert expect(await http.get("/app/v1/people/saved", headers=owner.headers,
                                 params={"premise_id": estate.premise_id}), 200)["items"] == []

    # The saved person goes to the second premise in one step.
    expect(await http.post(f"/app/v1/premises/{second}/people", headers=owner.headers,
                           json={"person_id": mine["person_id"], "role": "tenant", "rent_day": 31}), 201)
    tenants = names_by_role(await people_screen(http, owner, second))["tenant"]
    assert tenants == ["Моя Семья"]
    # Someone the account did not add is not among its saved people.
    assert theirs["person_id"] not in [p["person_id"] for p in saved]
    assert by_staff.client_id not in [p["person_id"] for p in saved]


async def test_people_add_04_a_saved_guest_gets_access(http, events_estate):
    """Rule: PEOPLE-ADD-04 — guests are among the saved people and can be given access."""
    owner = await events_estate.person(events_estate.premise_id, "owner")
    guest = await add(http, owner, adult("guest"))
    saved = expect(await http.get("/app/v1/people/saved", headers=owner.headers), 200)["items"]
    assert [(p["person_id"], p["is_guest"]) for p in saved] == [(guest["person_id"], True)]
    expect(await http.post(f"/app/v1/premises/{events_estate.premise_id}/people", headers=owner.headers,
                           json={"person_id": guest["person_id"], "role": "resident"}), 201)
    all_people = expect(await http.get("/app/v1/screens/people/all", headers=owner.headers), 200)["people"]
    assert [(p["name"], p["is_guest"], p["shared_premises"]) for p in all_people] == [("Сидорова Мария", False, 1)]


async def test_people_add_05_child_fields_and_roles(http, db, events_estate):
    """Rule: PEOPLE-ADD-05"""
    owner = await events_estate.person(events_estate.premise_id, "owner")
    child = {"birth_date": "2018-05-01", "child_name": "Маша", "gender": "female"}
    added = await add(http, owner, {"role": "resident", "premise_id": events_estate.premise_id, **child})
    guest = await add(http, owner, {"role": "guest", **child})
    card = expect(await http.get(f"/app/v1/people/{added['person_id']}", headers=owner.headers), 200)
    assert (card["name"], card["phone"], card["is_child"], card["can_attend_events"]) == ("Маша", None, True, True)
    assert expect(await http.get(f"/app/v1/people/{guest['person_id']}", headers=owner.headers), 200)["is_child"]

    before = await _counts(db)
    for role, extra in (("tenant", {"rent_day": 1}), ("representative", {})):
        refused = await add(http, owner, {"role": role, "premise_id": events_estate.premise_id, **child, **extra}, 422)
        assert refused["code"] == "child_role"
    with_phone = await add(http, owner, {"role": "resident", "premise_id": events_estate.premise_id,
                                         "phone": new_phone(), **child}, 400)
    assert with_phone["errors"][0]["field"] == "phone"
    assert await _counts(db) == before


async def test_people_add_05_without_birth_date_no_events(http, events_estate):
    """Rule: PEOPLE-ADD-05 — a person without a birth date cannot be signed up for events."""
    owner = await events_estate.person(events_estate.premise_id, "owner")
    without = await add(http, owner, adult("guest"))
    with_date = await add(http, owner, adult("guest", birth_date="1990-01-01"))
    assert not expect(await http.get(f"/app/v1/people/{without['person_id']}", headers=owner.headers),
                      200)["can_attend_events"]
    assert expect(await http.get(f"/app/v1/people/{with_date['person_id']}", headers=owner.headers),
                  200)["can_attend_events"]


async def test_people_add_06_a_tenant_needs_a_rent_day(http, db, estate, owner):
    """Rule: PEOPLE-ADD-06 — a tenant is added with a rent day, and only a tenant has one."""
    before = await _counts(db)
    missing = await add(http, owner, adult("tenant", estate.premise_id), 400)
    assert missing["errors"][0]["field"] == "rent_day"
    not_tenant = await add(http, owner, adult("resident", estate.premise_id, rent_day=5), 400)
    assert not_tenant["errors"][0]["field"] == "rent_day"
    for day in (0, 32):
        assert (await add(http, owner, adult("tenant", estate.premise_id, rent_day=day), 400))["status"] == 400
    assert await _counts(db) == before
    tenant = await add(http, owner, adult("tenant", estate.premise_id, rent_day=30))
    premises = expect(await http.get(f"/app/v1/people/{tenant['person_id']}/premises", headers=owner.headers), 200)
    assert [(i["role"], i["rent_day"]) for i in premises["items"]] == [("tenant", 30)]


async def test_people_add_guests_only_where_the_brand_has_events(http, db, estate, owner):
    """Rule: PEOPLE-ADD-02 — guests exist only where the brand has events."""
    before = await _counts(db)
    refused = await add(http, owner, adult("guest"), 422)
    assert refused["code"] == "guests_unavailable"
    assert (await people_screen(http, owner, estate.premise_id))["can_add_guests"] is False
    assert await _counts(db) == before


async def test_people_add_08_no_limit_on_people(http, estate, owner):
    """Rule: PEOPLE-ADD-08"""
    for _ in range(30):
        await add(http, owner, adult("resident", estate.premise_id))
    screen = await people_screen(http, owner, estate.premise_id)
    assert len(names_by_role(screen)["resident"]) == 30


async def test_person_added_with_a_phone_sees_the_premise_once_logged_in(http, estate, owner):
    """Rule: PEOPLE-ADD-02 — the link is by phone: the added person sees the premise at first login."""
    body = adult("tenant", estate.premise_id, rent_day=15)
    await add(http, owner, body)
    headers = bearer((await login_resident(http, body["phone"]))["access_token"])
    accesses = expect(await http.get("/app/v1/screens/people/accesses", headers=headers), 200)["items"]
    assert [(a["premise_id"], a["role"]) for a in accesses] == [(estate.premise_id, "tenant")]
    screen = expect(await http.get("/app/v1/screens/people", headers=headers,
                                   params={"premise_id": estate.premise_id}), 200)
    assert [p["name"] for p in screen["groups"][0]["people"]] == ["Петров Пётр"]


async def test_added_person_is_a_client_card_of_the_partner_depending_on_the_owner(http, db, estate, owner):
    """The card: created by the adder, linked by the adder, depending on the adding owner."""
    added = await add(http, owner, adult("representative", estate.premise_id))
    client = await db.get(Client, uuid.UUID(added["person_id"]))
    link = await db.scalar(select(PremiseLink).where(PremiseLink.client_id == client.id))
    account_id = await db.scalar(select(Account.id).where(Account.phone == owner.phone))
    assert str(client.partner_id) == estate.partner_id and client.created_by_account_id == account_id
    assert link.added_by_account_id == account_id and str(link.depends_on_client_id) == owner.client_id
    assert link.added_by_staff_id is None


@pytest.mark.parametrize("body, status, field", [
    ({"role": "king"}, 400, "role"),
    ({"role": "resident", "birth_date": "2030-01-01", "child_name": "Лёва"}, 400, "birth_date"),
    ({"role": "resident", "last_name": "Иванов1", "first_name": "Иван", "phone": "+79170000999"}, 400, "last_name"),
    ({"role": "resident", "last_name": "Иванов", "first_name": "Иван"}, 400, "phone"),
    ({"role": "resident", "phone": "12", "last_name": "Иванов", "first_name": "Иван"}, 400, "phone"),
    ({"role": "resident", "phone": "+79170000998", "last_name": "Иванов", "first_name": "Иван", "extra": 1},
     400, None),
])
async def test_bad_input_is_refused_and_changes_nothing(http, db, estate, owner, body, status, field):
    before = await _counts(db)
    refused = await add(http, owner, {"premise_id": estate.premise_id, **body}, status)
    if field:
        assert field in refused["detail"] or refused["errors"][0]["field"].endswith(field)
    assert await _counts(db) == before


async def test_premise_not_linked_or_unknown_is_404(http, db, estate, owner, foreign_partner):
    before = await _counts(db)
    for premise_id in (foreign_partner.premise_id, await estate.premise("99")):
        await add(http, owner, adult("resident", premise_id), 404)
        expect(await http.get("/app/v1/screens/people", headers=owner.headers,
                              params={"premise_id": premise_id}), 404)
    malformed = await add(http, owner, adult("resident", "not-an-id"), 400)
    assert malformed["errors"][0]["field"] == "premise_id"
    missing = await add(http, owner, adult("resident"), 400)
    assert missing["errors"][0]["field"] == "premise_id"
    assert await _counts(db) == before


async def test_someone_elses_guest_is_404(http, db, events_estate):
    owner = await events_estate.person(events_estate.premise_id, "owner")
    other = await events_estate.person(events_estate.premise_id, "owner")
    guest = await add(http, other, adult("guest"))
    expect(await http.get(f"/app/v1/people/{guest['person_id']}", headers=owner.headers), 404)
    before = await _counts(db)
    expect(await http.post(f"/app/v1/premises/{events_estate.premise_id}/people", headers=owner.headers,
                           json={"person_id": guest["person_id"], "role": "resident"}), 404)
    expect(await http.delete(f"/app/v1/people/{guest['person_id']}", headers=owner.headers), 404)
    assert await _counts(db) == before


async def test_adding_the_same_person_twice_is_a_conflict(http, estate, owner):
    body = adult("resident", estate.premise_id)
    await add(http, owner, body)
    assert (await add(http, owner, body, 409))["code"] == "already_linked"
