"""Profile: APP-PROFILE-01."""

from __future__ import annotations

from tests.bff.screens.world import app_login, client_in, expect, give_premise, make_partner, next_phone
from tests.crm.estate import link, make_client


async def test_app_profile_01_entries_follow_the_brand_products(http):
    phone = next_phone()
    full = await make_partner(http, "pr-full", products=["requests", "subscription", "insurance", "pets",
                                                         "transport", "showcase"], kind="both")
    bare = await make_partner(http, "pr-bare", products=["meters"])
    premise = await give_premise(http, full, phone, "1")
    await give_premise(http, bare, phone, "2")
    client = await client_in(http, full, phone)
    expect(await http.post("/crm/v1/notifications", headers=full.staff, json={
        "client_id": client, "type": "news", "title": "Новость", "body": "Текст"}), 201)
    auth = await app_login(http, phone)
    expect(await http.patch("/app/v1/me", headers=auth, json={"last_name": "Петрова", "first_name": "Мария"}), 200)

    screen = expect(await http.get("/app/v1/screens/profile", headers=auth), 200)
    assert screen["account"] == {"name": "Петрова Мария", "photo_url": None}
    assert screen["unread_notifications"] == 1
    assert screen["brand"]["slug"] == "pr-full"
    assert screen["current_premise"]["id"] == premise
    assert screen["current_premise"]["title"] == "Моя квартира"
    assert screen["current_premise"]["can_switch"] is True
    assert screen["entries"] == {"my_orders": True, "subscription": True, "premise_info": True, "insurance": True,
                                 "pets": True, "transport": True, "about_app": True, "notifications": True,
                                 "my_data": True}
    assert screen["purchases"] == {"items": [], "total": 0, "all_entry": True}

    bare_app = await app_login(http, phone, app_id="pr-bare")
    screen = expect(await http.get("/app/v1/screens/profile", headers=bare_app), 200)
    assert screen["entries"] == {"my_orders": False, "subscription": False, "premise_info": True, "insurance": False,
                                 "pets": False, "transport": False, "about_app": True, "notifications": True,
                                 "my_data": True}
    assert screen["purchases"] is None  # no showcase


async def test_app_profile_01_people_count_of_the_selected_premise(http):
    phone = next_phone()
    a = await make_partner(http, "pr-people")
    premise = await give_premise(http, a, phone, "1")
    owner = await client_in(http, a, phone)
    for name in ("Сидоров", "Кузнецов"):
        other = await make_client(http, a.staff, name, "Иван", next_phone())
        await link(http, a.staff, premise, other, "resident", depends_on_client_id=owner)
    auth = await app_login(http, phone)
    screen = expect(await http.get("/app/v1/screens/profile", headers=auth), 200)
    people = expect(await http.get("/app/v1/screens/people", headers=auth, params={"premise_id": premise}), 200)
    listed = sum(len(g["people"]) for g in people["groups"])
    assert screen["people"]["count"] == listed == 3
    assert screen["people"]["premise_id"] == premise


async def test_app_profile_01_at_most_three_lots_of_the_current_brand(http):
    phone = next_phone()
    dev = await make_partner(http, "pr-dev", products=["showcase"], kind="developer")
    other = await make_partner(http, "pr-dev2", products=["showcase"], kind="developer")
    client = await client_in(http, dev, phone)
    from tests.crm.estate import make_object
    obj = await make_object(http, dev.staff, "ЖК Новый")
    for n in range(4):
        expect(await http.post("/crm/v1/lots", headers=dev.staff, json={
            "object_id": obj, "client_id": client, "stage": "booking", "title": f"Лот {n}"}), 201)
    other_client = await client_in(http, other, phone)
    other_obj = await make_object(http, other.staff, "ЖК Чужой")
    expect(await http.post("/crm/v1/lots", headers=other.staff, json={
        "object_id": other_obj, "client_id": other_client, "stage": "deal", "title": "Чужой лот"}), 201)
    auth = await app_login(http, phone, app_id="pr-dev")
    screen = expect(await http.get("/app/v1/screens/profile", headers=auth), 200)
    assert screen["purchases"]["total"] == 4
    assert len(screen["purchases"]["items"]) == 3
    assert all(i["title"].startswith("Лот") for i in screen["purchases"]["items"])
    assert screen["current_premise"] is None and screen["entries"]["premise_info"] is False


async def test_app_profile_01_requires_login(http):
    expect(await http.get("/app/v1/screens/profile"), 401)


async def test_app_prem_02_branded_app_can_switch_counts_only_premises_it_can_switch_to(http):
    """Rule: APP-PREM-02 — a branded app lists other brands' premises but refuses to switch to
    them, so neither the profile's `can_switch` nor an item's `switchable` counts them."""
    phone = next_phone()
    other_brand = await make_partner(http, "sw-other")
    app_brand = await make_partner(http, "sw-app")
    other = await give_premise(http, other_brand, phone, "1")
    mine = await give_premise(http, app_brand, phone, "2")
    branded = await app_login(http, phone, app_id="sw-app")

    profile = expect(await http.get("/app/v1/screens/profile", headers=branded), 200)
    assert profile["current_premise"]["id"] == mine
    assert profile["current_premise"]["can_switch"] is False
    listed = expect(await http.get("/app/v1/screens/my-premises", headers=branded), 200)
    assert [(i["id"], i["switchable"]) for i in listed["items"]] == [(other, False), (mine, True)]
    assert listed["can_switch_brand"] is False

    await give_premise(http, app_brand, phone, "3")
    profile = expect(await http.get("/app/v1/screens/profile", headers=branded), 200)
    assert profile["current_premise"]["can_switch"] is True

    unified = await app_login(http, phone)
    listed = expect(await http.get("/app/v1/screens/my-premises", headers=unified), 200)
    assert all(i["switchable"] for i in listed["items"])
