"""My Data: APP-DATA-01; the notifications inbox."""

from __future__ import annotations

from tests.bff.screens.world import app_login, client_in, expect, give_premise, make_partner, next_phone


async def test_app_data_01_editable_and_not_editable_fields(http):
    auth = await app_login(http, next_phone())
    screen = expect(await http.get("/app/v1/screens/my-data", headers=auth), 200)
    assert screen["editable"] == ["photo", "type", "last_name", "first_name", "middle_name", "birth_date", "email"]
    assert "phone" not in screen["editable"] and "gender" not in screen["editable"]

    updated = expect(await http.patch("/app/v1/me", headers=auth, json={
        "last_name": "Смирнова", "first_name": "Ольга", "birth_date": "1990-05-01", "email": "olga@example.com"}), 200)
    assert (updated["last_name"], updated["birth_date"], updated["email"]) == ("Смирнова", "1990-05-01",
                                                                               "olga@example.com")
    for field, value in (("phone", "+79990000000"), ("gender", "female")):
        refused = expect(await http.patch("/app/v1/me", headers=auth, json={field: value}), 403)
        assert refused["code"] == "field_not_editable"
    expect(await http.patch("/app/v1/me", headers=auth, json={"last_name": "R2D2"}), 400)  # CRM-CLI-02

    org = expect(await http.patch("/app/v1/me", headers=auth, json={"type": "legal_entity", "name": "ООО Ромашка"}),
                 200)
    assert (org["name"], org["last_name"]) == ("ООО Ромашка", None)
    assert org["editable"] == ["photo", "type", "name", "birth_date", "email"]
    expect(await http.patch("/app/v1/me", headers=auth, json={"first_name": "Ольга"}), 400)
    assert expect(await http.get("/app/v1/screens/profile", headers=auth), 200)["account"]["name"] == "ООО Ромашка"


async def test_app_data_01_photo_upload(http):
    auth = await app_login(http, next_phone())
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 64
    screen = expect(await http.put("/app/v1/me/photo", headers=auth, files={"file": ("me.png", png, "image/png")}), 200)
    assert screen["photo_url"].startswith("/app/v1/photos/")
    got = await http.get(screen["photo_url"], headers=auth)
    assert got.status_code == 200 and got.content == png
    assert expect(await http.get("/app/v1/screens/profile", headers=auth), 200)["account"]["photo_url"] == \
        screen["photo_url"]
    expect(await http.put("/app/v1/me/photo", headers=auth, files={"file": ("x.txt", b"hello", "text/plain")}), 400)


async def test_inbox_lists_and_marks_read(http):
    phone = next_phone()
    a = await make_partner(http, "md-inbox")
    premise = await give_premise(http, a, phone)
    client = await client_in(http, a, phone)
    for title in ("Первое", "Второе"):
        expect(await http.post("/crm/v1/notifications", headers=a.staff, json={
            "client_id": client, "premise_id": premise, "type": "news", "title": title, "body": "..."}), 201)
    auth = await app_login(http, phone)
    inbox = expect(await http.get("/app/v1/notifications", headers=auth), 200)
    assert inbox["unread"] == 2 and {i["title"] for i in inbox["items"]} == {"Первое", "Второе"}
    first = inbox["items"][0]["id"]
    assert expect(await http.post(f"/app/v1/notifications/{first}/read", headers=auth), 200)["read"] is True
    assert expect(await http.get("/app/v1/screens/profile", headers=auth), 200)["unread_notifications"] == 1
    premises = expect(await http.get("/app/v1/screens/my-premises", headers=auth), 200)
    assert premises["items"][0]["unread_notifications"] == 1
    stranger = await app_login(http, next_phone())
    expect(await http.post(f"/app/v1/notifications/{first}/read", headers=stranger), 404)
    assert expect(await http.post("/app/v1/notifications/read-all", headers=auth), 200)["marked"] == 1
    assert expect(await http.get("/app/v1/notifications", headers=auth), 200)["unread"] == 0
