"""PUSH-06 on the staff's side: the partner's mailings listed, and one mailing with its
recipients' statuses counted as sent, failed, skipped and pending."""

from __future__ import annotations

from tests.push.conftest import new_phone
from tests.support import create_partner, staff_headers


async def test_push_06_mailings_list_and_card_count_recipients_by_status(world, http, recorded, clock):
    """Rule: PUSH-06, STAFF-04"""
    with_app, without_app = new_phone(), new_phone()
    await world.client(with_app, tags=["vip"])
    await world.client(without_app, tags=["vip"])
    resident = await world.resident(with_app)
    await world.device(resident, fcm_token="tok-list", os_notifications_enabled=True)
    water = (await http.post("/crm/v1/mailings", headers=world.staff, json={
        "channel": "push", "title": "Отключение воды", "body": "Завтра", "filter": {"tags": ["vip"]}})).json()
    card = (await http.get(f"/crm/v1/mailings/{water['id']}", headers=world.staff)).json()
    assert (card["sent"], card["failed"], card["skipped"], card["pending"]) == (0, 0, 0, 2)
    await recorded.drain()
    clock.advance(minutes=1)  # newest first: the same instant would order the two by their random ids
    gas = (await http.post("/crm/v1/mailings", headers=world.staff, json={
        "channel": "push", "title": "Проверка газа", "body": "В пятницу", "filter": {"tags": ["vip"]}})).json()

    card = (await http.get(f"/crm/v1/mailings/{water['id']}", headers=world.staff)).json()
    assert (card["sent"], card["failed"], card["skipped"], card["pending"]) == (1, 0, 1, 0)
    listed = (await http.get("/crm/v1/mailings", headers=world.staff)).json()
    assert [(i["id"], i["recipients"]) for i in listed["items"][:2]] == [(gas["id"], 2), (water["id"], 2)]
    assert listed["items"][1]["sender_name"] == "Иван Петров" and listed["items"][1]["status"] == "done"
    found = (await http.get("/crm/v1/mailings", headers=world.staff, params={"q": "вод"})).json()["items"]
    assert [i["id"] for i in found] == [water["id"]]
    first = (await http.get("/crm/v1/mailings", headers=world.staff, params={"limit": 1})).json()
    second = (await http.get("/crm/v1/mailings", headers=world.staff,
                             params={"limit": 1, "cursor": first["next_cursor"]})).json()
    assert [first["items"][0]["id"], second["items"][0]["id"]] == [gas["id"], water["id"]]

    foreign = await staff_headers(http, await create_partner(http, name="Чужая УК"))
    assert (await http.get("/crm/v1/mailings", headers=foreign)).json()["items"] == []
    assert (await http.get(f"/crm/v1/mailings/{water['id']}", headers=foreign)).status_code == 404
