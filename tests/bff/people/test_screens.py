"""The People screens (PEOPLE-VIEW-01..03) and the Profile's People block count."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.models import Account
from tests.bff.people.conftest import add, adult, people_screen
from tests.support import bearer, create_brand, expect, login_resident


async def _account(db, phone: str) -> uuid.UUID:
    return await db.scalar(select(Account.id).where(Account.phone == phone))


async def _profile_people(http, headers) -> dict:
    """The Profile's People block: it counts what the People screen of the selected premise shows."""
    block = expect(await http.get("/app/v1/screens/profile", headers=headers), 200)["people"]
    return {"count": block["count"], "premise_id": block["premise_id"]}


async def test_people_view_01_people_of_a_premise_grouped_by_role(http, db, estate, owner):
    """Rule: PEOPLE-VIEW-01"""
    await estate.person(estate.premise_id, "unconfirmed_owner", depends_on=owner.client_id,
                                      last_name="Белов", first_name="Борис")
    await estate.person(estate.premise_id, "representative", depends_on=owner.client_id, login=False,
                        last_name="Орлов", first_name="Олег")
    await add(http, owner, adult("tenant", estate.premise_id, rent_day=7, last_name="Арендов", first_name="Ян"))
    await add(http, owner, adult("resident", estate.premise_id, last_name="Петрова", first_name="Ирина"))
    other = await estate.premise("13")
    await estate.person(other, "owner", login=False, last_name="Соседов", first_name="Сосед")

    screen = await people_screen(http, owner, estate.premise_id)
    assert [g["role"] for g in screen["groups"]] == ["owner", "resident", "tenant", "representative",
                                                     "unconfirmed_owner"]
    people = {p["name"]: (g["role"], p["is_me"], p["can_manage"]) for g in screen["groups"] for p in g["people"]}
    assert people == {"Петров Пётр": ("owner", True, False), "Петрова Ирина": ("resident", False, True),
                      "Арендов Ян": ("tenant", False, True), "Орлов Олег": ("representative", False, False),
                      "Белов Борис": ("unconfirmed_owner", False, False)}
    assert screen["empty_state"] is None and screen["tabs"] == ["people", "accesses"]
    # The current premise is the default.
    assert expect(await http.get("/app/v1/screens/people", headers=owner.headers), 200) == screen
    # The Profile's block counts what the screen shows.
    shown = sum(len(g["people"]) for g in screen["groups"])
    assert (await _profile_people(http, owner.headers)) == {"count": shown, "premise_id": estate.premise_id}
    assert shown == 5


async def test_people_view_01_all_people_with_shared_counts_and_guests(http, events_estate, foreign_partner):
    """Rule: PEOPLE-VIEW-01 — "All": everyone sharing a premise (other partners too), with the count
    of shared premises, plus the account's own guests."""
    estate = events_estate
    owner = await estate.person(estate.premise_id, "owner", last_name="Петров", first_name="Пётр")
    second = await estate.premise("13")
    await estate.link(second, owner.client_id, "owner")
    await foreign_partner.person(foreign_partner.premise_id, "owner", phone=owner.phone)
    wife_phone = "+79175550001"
    for premise_id in (estate.premise_id, second):
        await estate.person(premise_id, "resident", phone=wife_phone, depends_on=owner.client_id, login=False,
                            last_name="Петрова", first_name="Ирина")
    # The same human in another partner: one person, three shared premises.
    foreign_owner = await foreign_partner.client_for(owner.phone)
    await foreign_partner.person(foreign_partner.premise_id, "resident", phone=wife_phone, depends_on=foreign_owner,
                                 login=False, last_name="Петрова", first_name="Ирина")
    await estate.person(second, "tenant", depends_on=owner.client_id, rent_day=3, login=False,
                        last_name="Арендов", first_name="Ян")
    await estate.person(await estate.premise("14"), "owner", login=False, last_name="Чужой", first_name="Человек")
    await add(http, owner, adult("guest", last_name="Гостева", first_name="Галина"))

    screen = expect(await http.get("/app/v1/screens/people/all", headers=owner.headers), 200)
    assert [(p["name"], p["shared_premises"], p["is_guest"]) for p in screen["people"]] == [
        ("Арендов Ян", 1, False), ("Петрова Ирина", 3, False), ("Гостева Галина", 0, True)]
    assert screen["can_add_guests"] is True and screen["can_add_people"] is True
    assert screen["tabs"] == ["people", "accesses"]


async def test_people_view_02_accesses_tab(http, estate, owner, foreign_partner):
    """Rule: PEOPLE-VIEW-02"""
    second = await estate.premise("13")
    owner_id = owner.client_id
    me = await estate.client_for(owner.phone)
    other_owner = await estate.person(second, "owner", login=False)
    await estate.link(second, me, "tenant", depends_on=other_owner.client_id, rent_day=2)
    foreign_owner = await foreign_partner.person(foreign_partner.premise_id, "owner", login=False)
    foreign_card = await foreign_partner.client_for(owner.phone)
    await foreign_partner.link(foreign_partner.premise_id, foreign_card, "representative",
                               depends_on=foreign_owner.client_id)
    items = expect(await http.get("/app/v1/screens/people/accesses", headers=owner.headers), 200)["items"]
    assert [(i["premise_id"], i["role"], i["can_add_people"]) for i in items] == [
        (estate.premise_id, "owner", True), (second, "tenant", False),
        (foreign_partner.premise_id, "representative", False)]
    assert items[0]["address"] == "ул. Ленина, д. 5, кв. 12"
    assert owner_id == me


async def test_people_view_03_empty_and_partial_states(http, db, estate, events_estate):
    """Rule: PEOPLE-VIEW-03"""
    # Premises without events: invite to add people.
    alone = await estate.person(estate.premise_id, "owner")
    screen = await people_screen(http, alone, estate.premise_id)
    assert screen["empty_state"] == "add_people" and screen["can_add_guests"] is False
    # With events: guests or people.
    alone_events = await events_estate.person(events_estate.premise_id, "owner")
    screen = await people_screen(http, alone_events, events_estate.premise_id)
    assert screen["empty_state"] == "add_guests_or_people" and screen["can_add_guests"] is True
    # Someone else there: no empty state.
    await add(http, alone_events, adult("resident", events_estate.premise_id))
    assert (await people_screen(http, alone_events, events_estate.premise_id))["empty_state"] is None

    # No premises but guests (a branded app with events): the guest list, no tabs.
    brand = await create_brand(http, events_estate.partner_id, "afisha")
    phone = "+79175550077"
    headers = bearer((await login_resident(http, phone, app_id=brand["slug"]))["access_token"])
    empty = expect(await http.get("/app/v1/screens/people", headers=headers), 200)
    assert (empty["premise_id"], empty["groups"], empty["tabs"], empty["empty_state"]) == (
        None, [], [], "add_guests")
    guest = expect(await http.post("/app/v1/people", headers=headers, json={
        "role": "guest", "last_name": "Гостев", "first_name": "Гость"}), 201)
    screen = expect(await http.get("/app/v1/screens/people", headers=headers), 200)
    assert screen["tabs"] == [] and screen["groups"] == [{"role": "guest", "people": [
        {"person_id": guest["person_id"], "name": "Гостев Гость", "photo_url": None, "is_me": False,
         "can_manage": True, "rent_day": None}]}]
    all_people = expect(await http.get("/app/v1/screens/people/all", headers=headers), 200)
    assert all_people["tabs"] == [] and [p["is_guest"] for p in all_people["people"]] == [True]
    assert (await _profile_people(http, headers)) == {"count": 1, "premise_id": None}
    # Without premises and without events: no guests either.
    lonely = bearer((await login_resident(http, "+79175550078"))["access_token"])
    assert expect(await http.get("/app/v1/screens/people", headers=lonely), 200)["empty_state"] == "nothing_to_add"
    expect(await http.post("/app/v1/people", headers=lonely, json={
        "role": "guest", "last_name": "Гостев", "first_name": "Гость"}), 422)


async def test_people_view_01_default_premise_in_a_branded_app_is_that_brands_first(http, db, estate, owner):
    """Rule: PEOPLE-VIEW-01 — without premise_id the screen shows the premise the Profile counts."""
    await create_brand(http, estate.partner_id, "uyut-main")     # the partner's default brand
    brand = await create_brand(http, estate.partner_id, "uyut")
    branded_object = expect(await http.post("/crm/v1/objects", headers=estate.staff, json={
        "name": "ЖК Уют", "address": "ул. Мира, 1", "brand_slug": brand["slug"]}), 201)["id"]
    branded = expect(await http.post("/crm/v1/premises", headers=estate.staff, json={
        "object_id": branded_object, "type": "apartment", "street": "Мира", "house": "1", "number": "7"}), 201)["id"]
    await estate.link(branded, owner.client_id, "owner")
    await add(http, owner, adult("resident", branded))
    headers = bearer((await login_resident(http, owner.phone, app_id=brand["slug"]))["access_token"])
    screen = expect(await http.get("/app/v1/screens/people", headers=headers), 200)
    assert screen["premise_id"] == branded
    shown = sum(len(g["people"]) for g in screen["groups"])
    assert (await _profile_people(http, headers)) == {"count": shown, "premise_id": branded}
    assert shown == 2
