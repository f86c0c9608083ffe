"""Person cards and their premises (PEOPLE-CARD-01/02), role capabilities (PEOPLE-ROLE-01) and
links staff made (CRM-LINK-01)."""

from __future__ import annotations

from tests.bff.people.conftest import add, adult, names_by_role, people_screen
from tests.support import expect


async def test_people_card_01_card_fields_and_rights(http, events_estate):
    """Rule: PEOPLE-CARD-01"""
    estate = events_estate
    owner = await estate.person(estate.premise_id, "owner")
    added = await add(http, owner, adult("resident", estate.premise_id))
    by_staff = await estate.person(estate.premise_id, "resident", depends_on=owner.client_id,
                                   last_name="Штатный", first_name="Житель", login=False)
    guest = await add(http, owner, adult("guest", birth_date="1990-02-03"))

    card = expect(await http.get(f"/app/v1/people/{added['person_id']}", headers=owner.headers), 200)
    assert (card["can_delete"], card["can_edit"], card["is_guest"], card["is_child"]) == (True, False, False, False)
    assert card["phone"].startswith("+7917") and card["invite_link"] and card["created_at"]
    staff_card = expect(await http.get(f"/app/v1/people/{by_staff.client_id}", headers=owner.headers), 200)
    assert (staff_card["can_delete"], staff_card["can_edit"]) == (False, False)
    guest_card = expect(await http.get(f"/app/v1/people/{guest['person_id']}", headers=owner.headers), 200)
    assert (guest_card["can_delete"], guest_card["can_edit"], guest_card["is_guest"]) == (True, True, True)

    # Edit data only for a guest.
    edited = expect(await http.patch(f"/app/v1/people/{guest['person_id']}", headers=owner.headers,
                                     json={"first_name": "Марина"}), 200)
    assert edited["name"] == "Сидорова Марина"
    refused = expect(await http.patch(f"/app/v1/people/{added['person_id']}", headers=owner.headers,
                                      json={"first_name": "Марина"}), 403)
    assert refused["code"] == "not_a_guest"

    # Delete only if the viewer added this person.
    refused = expect(await http.delete(f"/app/v1/people/{by_staff.client_id}", headers=owner.headers), 403)
    assert refused["code"] == "person_not_yours"
    expect(await http.delete(f"/app/v1/people/{added['person_id']}", headers=owner.headers), 204)
    expect(await http.delete(f"/app/v1/people/{guest['person_id']}", headers=owner.headers), 204)
    groups = names_by_role(await people_screen(http, owner, estate.premise_id))
    assert groups["resident"] == ["Штатный Житель"]
    expect(await http.get(f"/app/v1/people/{guest['person_id']}", headers=owner.headers), 404)
    saved = expect(await http.get("/app/v1/people/saved", headers=owner.headers), 200)["items"]
    assert saved == []


async def test_people_card_01_role_access_and_rent_day_only_on_links_the_viewer_created(http, estate, owner):
    """Rule: PEOPLE-CARD-01"""
    tenant = await add(http, owner, adult("tenant", estate.premise_id, rent_day=10))
    co_owner = await estate.person(estate.premise_id, "owner")
    theirs = await add(http, co_owner, adult("resident", estate.premise_id))
    url = f"/app/v1/premises/{estate.premise_id}/people"

    changed = expect(await http.patch(f"{url}/{tenant['person_id']}", headers=owner.headers, json={"rent_day": 31}),
                     200)
    assert (changed["role"], changed["rent_day"]) == ("tenant", 31)
    changed = expect(await http.patch(f"{url}/{tenant['person_id']}", headers=owner.headers,
                                      json={"role": "resident"}), 200)
    assert (changed["role"], changed["rent_day"]) == ("resident", None)
    assert expect(await http.patch(f"{url}/{tenant['person_id']}", headers=owner.headers,
                                   json={"role": "tenant"}), 400)["errors"][0]["field"] == "rent_day"

    for method, body in (("patch", {"role": "tenant", "rent_day": 3}), ("delete", None)):
        kwargs = {"json": body} if body else {}
        refused = expect(await getattr(http, method)(f"{url}/{theirs['person_id']}", headers=owner.headers,
                                                     **kwargs), 403)
        assert refused["code"] == "link_not_yours"
        refused = expect(await getattr(http, method)(f"{url}/{co_owner.client_id}", headers=owner.headers,
                                                     **kwargs), 403)
    expect(await http.delete(f"{url}/{tenant['person_id']}", headers=owner.headers), 204)
    groups = names_by_role(await people_screen(http, owner, estate.premise_id))
    assert len(groups["resident"]) == 1 and len(groups["owner"]) == 2
    expect(await http.delete(f"{url}/{tenant['person_id']}", headers=owner.headers), 404)


async def test_crm_link_01_links_added_by_staff_cannot_be_removed_in_the_app(http, estate, owner):
    """Rule: CRM-LINK-01"""
    by_staff = await estate.person(estate.premise_id, "representative", depends_on=owner.client_id, login=False)
    url = f"/app/v1/premises/{estate.premise_id}/people/{by_staff.client_id}"
    assert expect(await http.delete(url, headers=owner.headers), 403)["code"] == "link_not_yours"
    assert "representative" in names_by_role(await people_screen(http, owner, estate.premise_id))


async def test_people_card_02_only_shared_premises_other_partners_included(http, estate, owner, foreign_partner):
    """Rule: PEOPLE-CARD-02"""
    second, private = await estate.premise("13"), await estate.premise("14")
    await estate.link(second, owner.client_id, "owner")
    friend = await estate.person(estate.premise_id, "resident", depends_on=owner.client_id, login=False)
    await estate.link(second, friend.client_id, "tenant", depends_on=owner.client_id, rent_day=30)
    await estate.link(private, friend.client_id, "owner")
    foreign_owner = await foreign_partner.person(foreign_partner.premise_id, "owner", phone=owner.phone, login=False)
    friend_there = await foreign_partner.client_for(friend.phone)
    await foreign_partner.link(foreign_partner.premise_id, friend_there, "resident",
                               depends_on=foreign_owner.client_id)

    items = expect(await http.get(f"/app/v1/people/{friend.client_id}/premises", headers=owner.headers), 200)["items"]
    assert [(i["premise_id"], i["role"], i["rent_day"]) for i in items] == [
        (estate.premise_id, "resident", None), (second, "tenant", 30), (foreign_partner.premise_id, "resident", None)]
    assert private not in [i["premise_id"] for i in items]
    # The card reached through another partner's card id is the same person.
    same = expect(await http.get(f"/app/v1/people/{friend_there}/premises", headers=owner.headers), 200)["items"]
    assert [i["premise_id"] for i in same] == [i["premise_id"] for i in items]


async def test_people_card_02_a_guest_has_no_premises(http, events_estate):
    """Rule: PEOPLE-CARD-02"""
    owner = await events_estate.person(events_estate.premise_id, "owner")
    guest = await add(http, owner, adult("guest"))
    assert expect(await http.get(f"/app/v1/people/{guest['person_id']}/premises", headers=owner.headers),
                  200) == {"items": []}


async def test_a_person_sharing_nothing_is_unknown(http, estate, owner):
    stranger = await estate.person(await estate.premise("20"), "owner", login=False)
    expect(await http.get(f"/app/v1/people/{stranger.client_id}", headers=owner.headers), 404)
    expect(await http.get(f"/app/v1/people/{stranger.client_id}/premises", headers=owner.headers), 404)
    expect(await http.post(f"/app/v1/premises/{estate.premise_id}/people", headers=owner.headers,
                           json={"person_id": stranger.client_id, "role": "resident"}), 404)


async def test_people_role_01_capabilities_through_the_api(http, estate, owner):
    """Rule: PEOPLE-ROLE-01 — owner gives every app role; unconfirmed owner residents and tenants;
    representative, resident and tenant give no access."""
    unconfirmed = await estate.person(estate.premise_id, "unconfirmed_owner", depends_on=owner.client_id)
    representative = await estate.person(estate.premise_id, "representative", depends_on=owner.client_id)
    resident = await estate.person(estate.premise_id, "resident", depends_on=owner.client_id)
    tenant = await estate.person(estate.premise_id, "tenant", depends_on=owner.client_id, rent_day=9)
    expected = {
        "owner": (owner, {"resident", "representative", "tenant"}),
        "unconfirmed_owner": (unconfirmed, {"resident", "tenant"}),
        "representative": (representative, set()),
        "resident": (resident, set()),
        "tenant": (tenant, set()),
    }
    for role, (who, allowed) in expected.items():
        for given in ("resident", "representative", "tenant"):
            body = adult(given, estate.premise_id, **({"rent_day": 4} if given == "tenant" else {}))
            status = 201 if given in allowed else 403
            await add(http, who, body, status)
        accesses = expect(await http.get("/app/v1/screens/people/accesses", headers=who.headers), 200)["items"]
        assert accesses[0]["can_add_people"] is bool(allowed), role


async def test_add_from_a_persons_card_to_another_premise(http, estate, owner):
    """Owners may open another person's card and add them to their premise."""
    second = await estate.premise("13")
    await estate.link(second, owner.client_id, "owner")
    neighbour = await estate.person(estate.premise_id, "resident", depends_on=owner.client_id, login=False)
    expect(await http.post(f"/app/v1/premises/{second}/people", headers=owner.headers,
                           json={"person_id": neighbour.client_id, "role": "representative"}), 201)
    items = expect(await http.get(f"/app/v1/people/{neighbour.client_id}/premises", headers=owner.headers),
                   200)["items"]
    assert [(i["premise_id"], i["role"], i["can_manage"]) for i in items] == [
        (estate.premise_id, "resident", False), (second, "representative", True)]
    expect(await http.post(f"/app/v1/premises/{second}/people", headers=owner.headers,
                           json={"person_id": neighbour.client_id, "role": "tenant", "rent_day": 2}), 409)
