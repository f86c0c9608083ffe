"""What a person card and the People screens show of someone (PEOPLE-CARD-01): photo, phone (not
a child's), e-mail if set, profile creation date, invite link — nothing else. No adult's birth
date; none of the app-side data (name, photo, e-mail, profile date) of someone who has not opened
the app since the viewer could see them, so typing a phone into "add a person" reveals nothing
the adder did not type. The invite link is the link of the app the viewer uses."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from tests.bff.people.conftest import add, adult, new_phone, people_screen
from tests.support import ADMIN, COLORS, bearer, expect, login_resident

APP_LAST, APP_FIRST, APP_EMAIL = "Приложенская", "Тайна", "tajna.app@example.com"
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


async def _app_user(http) -> tuple[str, dict]:
    """Someone who uses the app (of another partner or none) with a name, e-mail and photo set there."""
    phone = new_phone()
    headers = bearer((await login_resident(http, phone))["access_token"])
    expect(await http.patch("/app/v1/me", headers=headers,
                            json={"last_name": APP_LAST, "first_name": APP_FIRST, "email": APP_EMAIL}), 200)
    expect(await http.put("/app/v1/me/photo", headers=headers, files={"file": ("me.png", PNG, "image/png")}), 200)
    return phone, headers


@pytest.fixture
def wall_clock(clock):
    """The injected clock (which stamps visits) set around the database's clock (which stamps
    links and cards as they are written), so that "before" and "after" a link compare; put back
    afterwards."""
    saved = clock.now()
    yield lambda minutes: clock.set(datetime.now(timezone.utc) + timedelta(minutes=minutes))
    clock.set(saved)


def _shows_app_data(answer) -> bool:
    text = str(answer)
    return any(secret in text for secret in (APP_LAST, APP_FIRST, APP_EMAIL, "/app/v1/photos/"))


async def test_people_card_01_adding_a_phone_reveals_nothing_the_adder_did_not_type(http, estate, owner,
                                                                                    wall_clock):
    """Rule: PEOPLE-CARD-01 — an owner types the phone of an app user into "add a person": the
    card, the People screen, "all people" and the saved people show what the owner typed (the
    name, the phone), never the account's app-side name, photo, e-mail or profile date; once the
    person opens the app after being added, their card shows their profile."""
    wall_clock(-10)
    owner.headers = bearer((await login_resident(http, owner.phone))["access_token"])
    phone, _ = await _app_user(http)
    person = (await add(http, owner, adult("resident", estate.premise_id, phone=phone)))["person_id"]
    card = expect(await http.get(f"/app/v1/people/{person}", headers=owner.headers), 200)
    assert card["name"] == "Сидорова Мария" and card["phone"] == phone, card
    assert card["photo_url"] is None and card["email"] is None and card["birth_date"] is None, card
    assert not _shows_app_data(card)
    assert not _shows_app_data(await people_screen(http, owner, estate.premise_id))
    assert not _shows_app_data(expect(await http.get("/app/v1/screens/people/all", headers=owner.headers), 200))
    assert not _shows_app_data(expect(await http.get("/app/v1/people/saved", headers=owner.headers), 200))

    wall_clock(+10)
    owner.headers = bearer((await login_resident(http, owner.phone))["access_token"])
    theirs = bearer((await login_resident(http, phone))["access_token"])  # they open the app after being added
    card = expect(await http.get(f"/app/v1/people/{person}", headers=owner.headers), 200)
    assert card["name"] == f"{APP_LAST} {APP_FIRST}" and card["email"] == APP_EMAIL and card["photo_url"], card
    assert expect(await http.get("/app/v1/screens/my-data", headers=theirs), 200)["email"] == APP_EMAIL


async def test_people_card_01_no_birth_date_of_an_adult_and_no_crm_data_of_co_residents(http, events_estate):
    """Rule: PEOPLE-CARD-01 — a co-resident's card (linked by staff with a birth date and an
    e-mail in the CRM) shows neither; a child's birth date shows only to whoever added the child."""
    estate = events_estate
    owner = await estate.person(estate.premise_id, "owner", last_name="Петров", first_name="Пётр")
    co_owner = await estate.person(estate.premise_id, "owner", last_name="Петрова", first_name="Ольга")
    neighbour = await estate.person(estate.premise_id, "resident", depends_on=owner.client_id, login=False)
    expect(await http.patch(f"/crm/v1/clients/{neighbour.client_id}", headers=estate.staff,
                            json={"birth_date": "1980-04-05", "email": "crm.only@example.com"}), 200)
    child = (await add(http, owner, {"role": "resident", "premise_id": estate.premise_id, "child_name": "Митя",
                                     "birth_date": "2020-03-04", "gender": "male"}))["person_id"]
    guest = (await add(http, owner, adult("guest", birth_date="1990-02-03")))["person_id"]

    card = expect(await http.get(f"/app/v1/people/{neighbour.client_id}", headers=owner.headers), 200)
    assert card["birth_date"] is None and card["email"] is None, card
    assert "1980" not in str(card) and "crm.only" not in str(card)
    assert expect(await http.get(f"/app/v1/people/{guest}", headers=owner.headers), 200)["birth_date"] is None
    mine = expect(await http.get(f"/app/v1/people/{child}", headers=owner.headers), 200)
    assert mine["birth_date"] == "2020-03-04" and mine["phone"] is None and mine["is_child"], mine
    theirs = expect(await http.get(f"/app/v1/people/{child}", headers=co_owner.headers), 200)
    assert theirs["birth_date"] is None and theirs["phone"] is None, theirs


async def test_people_card_01_the_invite_link_is_the_viewers_apps(http, estate, owner):
    """Rule: PEOPLE-CARD-01 — viewed in a white-label app, the invite link is that brand's app's;
    in the unified app, the unified app's."""
    slug = f"wl-{uuid.uuid4().hex[:8]}"
    expect(await http.post(f"/crm/v1/partners/{estate.partner_id}/brands", headers=ADMIN, json={
        "slug": slug, "name": "Свой бренд", "colors": COLORS, "icon_url": "https://cdn.example.com/i.png",
        "app_url": f"https://apps.example.com/{slug}"}), 201)
    plain = f"wl-{uuid.uuid4().hex[:8]}"
    expect(await http.post(f"/crm/v1/partners/{estate.partner_id}/brands", headers=ADMIN, json={
        "slug": plain, "name": "Бренд без ссылки", "colors": COLORS, "icon_url": "https://cdn.example.com/i.png"}),
        201)
    neighbour = await estate.person(estate.premise_id, "resident", depends_on=owner.client_id, login=False)
    unified = expect(await http.get(f"/app/v1/people/{neighbour.client_id}", headers=owner.headers), 200)
    branded_headers = bearer((await login_resident(http, owner.phone, app_id=slug))["access_token"])
    branded = expect(await http.get(f"/app/v1/people/{neighbour.client_id}", headers=branded_headers), 200)
    other_headers = bearer((await login_resident(http, owner.phone, app_id=plain))["access_token"])
    other = expect(await http.get(f"/app/v1/people/{neighbour.client_id}", headers=other_headers), 200)
    assert unified["invite_link"] == "https://domiland.ru/app"
    assert branded["invite_link"] == f"https://apps.example.com/{slug}"
    assert other["invite_link"].startswith("https://domiland.ru/app") and plain in other["invite_link"]
