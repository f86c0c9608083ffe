"""Brands and the session context: APP-PREM-02, APP-PREM-03, APP-PREM-04 (header)."""

from __future__ import annotations

from tests.bff.screens.world import app_login, expect, give_premise, make_partner, next_phone
from tests.crm.estate import make_object


async def test_app_prem_02_current_premise_is_first_of_list_until_switched_and_brand_follows(http, clock):
    phone = next_phone()
    a = await make_partner(http, "alfa")
    b = await make_partner(http, "beta")
    first = await give_premise(http, a, phone, "1")
    second = await give_premise(http, b, phone, "2")
    auth = await app_login(http, phone)

    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert [i["id"] for i in screen["items"]] == [first, second]
    assert [i["current"] for i in screen["items"]] == [True, False]
    assert screen["brand"]["slug"] == "alfa"

    switched = expect(await http.post("/app/v1/session/premise", headers=auth, json={"premise_id": second}), 200)
    assert switched["current_premise_id"] == second
    assert switched["brand"]["slug"] == "beta"  # unified app: colours and products follow the premise
    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert [i["current"] for i in screen["items"]] == [False, True]
    assert [i["id"] for i in screen["items"]] == [first, second]  # the order never changes


async def test_app_prem_02_branded_app_starts_on_first_premise_of_its_brand_and_cannot_switch_to_others(http, clock):
    phone = next_phone()
    a = await make_partner(http, "gamma")
    b = await make_partner(http, "delta")
    other = await give_premise(http, a, phone, "1")
    mine = await give_premise(http, b, phone, "2")
    auth = await app_login(http, phone, app_id="delta")
    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert [(i["id"], i["current"]) for i in screen["items"]] == [(other, False), (mine, True)]
    assert screen["can_switch_brand"] is False and screen["brands"] == []
    refused = expect(await http.post("/app/v1/session/premise", headers=auth, json={"premise_id": other}), 422)
    assert refused["code"] == "premise_of_other_brand"


async def test_app_prem_03_brand_list_and_switch_in_unified_app_only(http, clock):
    phone = next_phone()
    a = await make_partner(http, "epsilon")
    b = await make_partner(http, "zeta")
    await make_partner(http, "eta")  # no premise of the account: not listed
    await give_premise(http, a, phone, "1")
    b1 = await give_premise(http, b, phone, "2")
    await give_premise(http, b, phone, "3")
    auth = await app_login(http, phone)
    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert screen["can_switch_brand"] is True
    assert [(x["slug"], x["current"]) for x in screen["brands"]] == [("epsilon", True), ("zeta", False)]

    switched = expect(await http.post("/app/v1/session/brand", headers=auth, json={"brand_slug": "zeta"}), 200)
    assert switched == {"current_premise_id": b1, "brand": switched["brand"]} and switched["brand"]["slug"] == "zeta"
    expect(await http.post("/app/v1/session/brand", headers=auth, json={"brand_slug": "eta"}), 404)

    branded = await app_login(http, phone, app_id="zeta")
    refused = expect(await http.post("/app/v1/session/brand", headers=branded, json={"brand_slug": "epsilon"}), 403)
    assert refused["code"] == "brand_switch_unavailable"


async def test_app_prem_03_object_branding_decides_brand_of_its_premises(http):
    phone = next_phone()
    a = await make_partner(http, "theta")
    from tests.support import create_brand
    await create_brand(http, a.id, "theta-park")
    a.objects["Парк"] = await make_object(http, a.staff, "ЖК Парк", brand_slug="theta-park")
    await give_premise(http, a, phone, "1")
    park = await give_premise(http, a, phone, "2", object_name="Парк")
    auth = await app_login(http, phone)
    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert [i["brand_slug"] for i in screen["items"]] == ["theta", "theta-park"]
    switched = expect(await http.post("/app/v1/session/premise", headers=auth, json={"premise_id": park}), 200)
    assert switched["brand"]["slug"] == "theta-park"


async def test_app_prem_02_lost_premise_drops_out_of_context_at_once(http, clock):
    phone = next_phone()
    a = await make_partner(http, "iota")
    first = await give_premise(http, a, phone, "1")
    second = await give_premise(http, a, phone, "2")
    auth = await app_login(http, phone)
    expect(await http.post("/app/v1/session/premise", headers=auth, json={"premise_id": second}), 200)
    expect(await http.delete(f"/crm/v1/premises/{second}", headers=a.staff), 204)
    header = expect(await http.get("/app/v1/screens/header", headers=auth), 200)
    assert header["current_premise_id"] == first
    screen = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert [(i["id"], i["current"]) for i in screen["items"]] == [(first, True)]


async def test_app_prem_04_header_states(http):
    # not logged in
    for screen, expected in (("main", ("region", "pick_region")), ("home", ("my_premises", "log_in"))):
        body = expect(await http.get("/app/v1/screens/header", params={"screen": screen}), 200)
        assert (body["kind"], body["action"]) == expected
    assert expect(await http.get("/app/v1/screens/header", params={"screen": "home"}), 200)["title"] == "Мои помещения"

    # logged in, no premises
    phone = next_phone()
    auth = await app_login(http, phone)
    main = expect(await http.get("/app/v1/screens/header", params={"screen": "main"}, headers=auth), 200)
    home = expect(await http.get("/app/v1/screens/header", params={"screen": "home"}, headers=auth), 200)
    assert (main["kind"], main["action"]) == ("region", "pick_region")
    assert (home["title"], home["kind"], home["action"]) == ("Мои помещения", "my_premises", "open_my_premises")
    empty = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert empty["items"] == [] and empty["empty_state"]["can_add_request"] is True

    # premises, none of the current brand (a branded app of another brand)
    a = await make_partner(http, "kappa")
    await make_partner(http, "lambda")
    premise = await give_premise(http, a, phone, "7")
    other_brand = await app_login(http, phone, app_id="lambda")
    for screen in ("main", "home", "services"):
        body = expect(await http.get("/app/v1/screens/header", params={"screen": screen}, headers=other_brand), 200)
        assert body == {"title": "Мои помещения", "kind": "my_premises", "action": "open_my_premises",
                        "current_premise_id": None}
    listed = expect(await http.get("/app/v1/screens/my-premises", headers=other_brand), 200)
    assert [(i["id"], i["current"]) for i in listed["items"]] == [(premise, False)]  # none marked

    # a current premise: its address, marked
    for screen in ("main", "home", "services"):
        body = expect(await http.get("/app/v1/screens/header", params={"screen": screen}, headers=auth), 200)
        assert body == {"title": "ул. Ленина, д. 5, кв. 7", "kind": "premise", "action": "open_my_premises",
                        "current_premise_id": premise}
