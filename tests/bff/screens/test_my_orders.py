"""My Orders: APP-ORD-01, APP-ORD-02, APP-ORD-03, and the order view."""

from __future__ import annotations

from tests.bff.screens.world import app_login, client_in, expect, give_premise, make_partner, next_phone


_CLOCK = []


async def _order(http, partner, premise, client, title, status, kind="requests") -> str:
    if _CLOCK:
        _CLOCK[0].advance(minutes=1)  # orders take their creation time from the clock
    return expect(await http.post("/crm/v1/orders", headers=partner.staff, json={
        "kind": kind, "premise_id": premise, "client_id": client, "title": title, "status": status}), 201)["id"]


def _titles(screen):
    return {g["name"]: [i["title"] for i in g["items"]] for g in screen["groups"]}


async def test_app_ord_01_tabs_follow_products(http, clock):
    _CLOCK[:] = [clock]
    phone = next_phone()
    a = await make_partner(http, "or-tabs", products=["requests", "events"])
    await give_premise(http, a, phone)
    auth = await app_login(http, phone)
    screen = expect(await http.get("/app/v1/screens/my-orders", headers=auth), 200)
    assert [t["key"] for t in screen["tabs"]] == ["requests", "events"]
    assert screen["tab"] == "requests"
    expect(await http.get("/app/v1/screens/my-orders", headers=auth, params={"tab": "services"}), 400)
    none = await make_partner(http, "or-none", products=["meters"])
    await give_premise(http, none, phone, "2")
    branded = await app_login(http, phone, app_id="or-none")
    screen = expect(await http.get("/app/v1/screens/my-orders", headers=branded), 200)
    assert screen["tabs"] == [] and screen["groups"] == []
    assert expect(await http.get("/app/v1/screens/profile", headers=branded), 200)["entries"]["my_orders"] is False


async def test_app_ord_01_02_groups_sorts_unseen_and_marking_seen(http, clock):
    _CLOCK[:] = [clock]
    phone = next_phone()
    a = await make_partner(http, "or-sort")
    premise = await give_premise(http, a, phone)
    other_premise = await give_premise(http, a, phone, "99")
    client = await client_in(http, a, phone)
    old_active = await _order(http, a, premise, client, "старая активная", "waiting")
    await _order(http, a, premise, client, "архивная", "done")
    changed = await _order(http, a, premise, client, "изменённая", "waiting")
    await _order(http, a, premise, client, "новая активная", "in_progress")
    await _order(http, a, other_premise, client, "другое помещение", "waiting")
    await _order(http, a, premise, client, "услуга", "waiting", kind="services")
    expect(await http.patch(f"/crm/v1/orders/{changed}", headers=a.staff, json={"staff_comment": "Мастер придёт"}), 200)
    expect(await http.patch(f"/crm/v1/orders/{old_active}", headers=a.staff, json={"status": "in_progress"}), 200)
    auth = await app_login(http, phone)

    default = expect(await http.get("/app/v1/screens/my-orders", headers=auth), 200)
    assert default["premise_id"] == premise
    # active then archive; unseen changes first, then newest
    assert _titles(default) == {"active": ["изменённая", "старая активная", "новая активная"], "archive": ["архивная"]}
    items = {i["title"]: i for g in default["groups"] for i in g["items"]}
    assert items["изменённая"]["unseen_changes"] is True and items["новая активная"]["unseen_changes"] is False
    assert items["архивная"]["status_label"] == "Выполнено"
    assert [g["total"] for g in default["groups"]] == [3, 1]

    newest = expect(await http.get("/app/v1/screens/my-orders", headers=auth, params={"sort": "newest"}), 200)
    assert _titles(newest) == {"all": ["новая активная", "изменённая", "архивная", "старая активная"]}
    oldest = expect(await http.get("/app/v1/screens/my-orders", headers=auth, params={"sort": "oldest"}), 200)
    assert _titles(oldest) == {"all": ["старая активная", "архивная", "изменённая", "новая активная"]}

    # opening an order marks it seen: it no longer comes first
    card = expect(await http.get(f"/app/v1/orders/{changed}", headers=auth), 200)
    assert card["staff_comment"] == "Мастер придёт" and card["unseen_changes"] is False
    default = expect(await http.get("/app/v1/screens/my-orders", headers=auth), 200)
    assert _titles(default)["active"][0] == "старая активная"
    expect(await http.get(f"/app/v1/orders/{old_active}", headers=auth), 200)
    default = expect(await http.get("/app/v1/screens/my-orders", headers=auth), 200)
    assert _titles(default)["active"] == ["новая активная", "изменённая", "старая активная"]

    # per premise
    other = expect(await http.get("/app/v1/screens/my-orders", headers=auth, params={"premise_id": other_premise}), 200)
    assert _titles(other) == {"active": ["другое помещение"], "archive": []}
    assert [p["selected"] for p in other["premises"]] == [False, True]
    services = expect(await http.get("/app/v1/screens/my-orders", headers=auth, params={"tab": "services"}), 200)
    assert _titles(services)["active"] == ["услуга"]
    stranger = await app_login(http, next_phone())
    expect(await http.get(f"/app/v1/orders/{changed}", headers=stranger), 404)
    expect(await http.get("/app/v1/screens/my-orders", headers=stranger, params={"premise_id": premise}), 404)


async def test_app_ord_02_events_default_sort_is_newest_first_even_with_unseen_changes(http, clock):
    _CLOCK[:] = [clock]
    phone = next_phone()
    a = await make_partner(http, "or-events", products=["events"])
    premise = await give_premise(http, a, phone)
    client = await client_in(http, a, phone)
    first = await _order(http, a, premise, client, "первое", "planned", kind="events")
    await _order(http, a, premise, client, "второе", "planned", kind="events")
    expect(await http.patch(f"/crm/v1/orders/{first}", headers=a.staff, json={"status": "ongoing"}), 200)
    auth = await app_login(http, phone)
    screen = expect(await http.get("/app/v1/screens/my-orders", headers=auth), 200)
    assert screen["tab"] == "events"
    assert _titles(screen)["active"] == ["второе", "первое"]


async def test_app_ord_rating_of_finished_orders(http, clock):
    _CLOCK[:] = [clock]
    phone = next_phone()
    a = await make_partner(http, "or-rate")
    premise = await give_premise(http, a, phone)
    client = await client_in(http, a, phone)
    done = await _order(http, a, premise, client, "готово", "done")
    waiting = await _order(http, a, premise, client, "ждёт", "waiting")
    auth = await app_login(http, phone)
    assert expect(await http.post(f"/app/v1/orders/{done}/rating", headers=auth, json={"rating": 5}), 200)["rating"] == 5
    expect(await http.post(f"/app/v1/orders/{waiting}/rating", headers=auth, json={"rating": 5}), 422)
    screen = expect(await http.get("/app/v1/screens/my-orders", headers=auth), 200)
    assert {i["title"]: i["rating"] for g in screen["groups"] for i in g["items"]} == {"готово": 5, "ждёт": None}


async def test_app_ord_03_empty_tab_buttons(http, clock):
    _CLOCK[:] = [clock]
    phone = next_phone()
    a = await make_partner(http, "or-empty", products=["requests", "marketplace", "events"])
    premise = await give_premise(http, a, phone)
    auth = await app_login(http, phone)
    screen = expect(await http.get("/app/v1/screens/my-orders", headers=auth), 200)
    assert screen["empty_state"]["buttons"] == ["services"]  # no event planned or ongoing
    neighbour = await client_in(http, a, next_phone())
    await _order(http, a, premise, neighbour, "концерт", "planned", kind="events")
    screen = expect(await http.get("/app/v1/screens/my-orders", headers=auth), 200)
    assert screen["empty_state"]["buttons"] == ["services", "events"]

    bare = await make_partner(http, "or-bare", products=["requests"])
    await give_premise(http, bare, phone, "5")
    branded = await app_login(http, phone, app_id="or-bare")
    screen = expect(await http.get("/app/v1/screens/my-orders", headers=branded), 200)
    assert screen["empty_state"] == {"title": "Здесь пока нет заказов", "buttons": []}
    client = await client_in(http, bare, phone)
    await _order(http, bare, screen["premise_id"], client, "заявка", "waiting")
    screen = expect(await http.get("/app/v1/screens/my-orders", headers=branded), 200)
    assert screen["empty_state"] is None
