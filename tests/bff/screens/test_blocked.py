"""CRM-CLI-04: a blocked client logs in and reads, but cannot create requests."""

from __future__ import annotations

from tests.bff.screens.world import app_login, client_in, expect, give_premise, make_partner, next_phone


async def test_crm_cli_04_blocked_client_reads_but_cannot_create_requests(http):
    phone = next_phone()
    a = await make_partner(http, "bl-one")
    premise = await give_premise(http, a, phone)
    client = await client_in(http, a, phone)
    auth = await app_login(http, phone)
    created = expect(await http.post("/app/v1/orders", headers=auth, json={"premise_id": premise,
                                                                            "title": "Течёт кран"}), 201)
    activity = expect(await http.get(f"/crm/v1/clients/{client}/activity", headers=a.staff), 200)
    assert "Течёт кран" in [i["subject"] for i in activity["items"]]
    assert created["status"] == "waiting"

    expect(await http.patch(f"/crm/v1/clients/{client}", headers=a.staff, json={"status": "blocked"}), 200)
    refused = expect(await http.post("/app/v1/orders", headers=auth, json={"premise_id": premise,
                                                                            "title": "Ещё заявка"}), 403)
    assert refused["code"] == "client_blocked"
    assert refused["detail"].startswith("Ваш доступ к созданию заявок")
    # reads still work
    for path in ("/app/v1/screens/profile", "/app/v1/screens/my-premises", "/app/v1/screens/my-orders",
                 f"/app/v1/screens/premises/{premise}", f"/app/v1/orders/{created['id']}"):
        expect(await http.get(path, headers=auth), 200)


async def test_app_order_needs_the_product_and_an_own_premise(http):
    phone = next_phone()
    a = await make_partner(http, "bl-two", products=["events"])
    premise = await give_premise(http, a, phone)
    auth = await app_login(http, phone)
    assert expect(await http.post("/app/v1/orders", headers=auth, json={"premise_id": premise, "title": "Кран"}),
                  422)["code"] == "product_disabled"
    other = await give_premise(http, a, next_phone(), "2")
    expect(await http.post("/app/v1/orders", headers=auth, json={"premise_id": other, "title": "Кран"}), 404)
