"""The soak's partner, built through the HTTP API as the platform admin, the partner's 1C and the
residents' phones would: a partner with a brand and a staff member, three objects, premises with
their owners (and tenants in some) imported in batches, every client logged in to the app with
a device that has an FCM token and the notification permission on, and one open request each."""

from __future__ import annotations

import asyncio
import random
import secrets
from dataclasses import dataclass, field

import httpx

COLORS = {"primary": "#1E88E5", "secondary": "#FFFFFF", "accent": "#FF7043", "background": "#F5F5F5",
          "text": "#212121"}
PERMISSIONS = ["premises.edit", "clients.edit", "clients.pii.name", "clients.pii.contacts", "clients.activity",
               "clients.tags.edit", "reports.clients", "reports.registration_requests", "sessions.manage",
               "mailings.send"]
OBJECTS = [("ЖК «Северный»", "Северная"), ("ЖК «Парковый»", "Парковая"), ("ЖК «Озёрный»", "Озёрная")]
LAST_NAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
              "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров"]
FIRST_NAMES = ["Иван", "Пётр", "Сергей", "Алексей", "Дмитрий", "Андрей", "Михаил", "Николай"]


@dataclass(slots=True)
class Resident:
    client_id: str
    premise_id: str
    phone: str
    last_name: str
    fcm_token: str = ""
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class World:
    staff: dict[str, str]
    residents: list[Resident]
    addresses: list[str]  # "street house number" of every premise, for the premise search
    orders: list[tuple[str, int]] = field(default_factory=list)  # (order id, resident index)


def expect(response: httpx.Response, status: int) -> dict:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url.path} answered "
                           f"{response.status_code}, not {status}: {response.text[:500]}")
    return response.json() if response.content else {}


async def _gather_limited(limit: int, coroutines) -> list:
    gate = asyncio.Semaphore(limit)

    async def one(coroutine):
        async with gate:
            return await coroutine

    return await asyncio.gather(*(one(c) for c in coroutines))


async def build(http: httpx.AsyncClient, admin_token: str, residents: int, rng: random.Random) -> World:
    admin = {"Authorization": f"Bearer {admin_token}"}
    partner = expect(await http.post("/crm/v1/partners", headers=admin, json={
        "name": "УК «Нагрузка»", "kind": "management",
        "products": ["requests", "marketplace", "events", "payments", "meters", "insurance"]}), 201)["id"]
    slug = f"soak-{secrets.token_hex(3)}"
    expect(await http.post(f"/crm/v1/partners/{partner}/brands", headers=admin, json={
        "slug": slug, "name": "Нагрузка", "colors": COLORS, "icon_url": f"https://cdn.example.com/{slug}.png"}), 201)
    expect(await http.patch(f"/crm/v1/partners/{partner}", headers=admin, json={"default_brand_slug": slug}), 200)
    role = expect(await http.post(f"/crm/v1/partners/{partner}/roles", headers=admin, json={
        "name": "Диспетчер", "permissions": PERMISSIONS}), 201)["id"]
    email, password = f"dispatcher-{slug}@example.com", secrets.token_urlsafe(12)
    expect(await http.post(f"/crm/v1/partners/{partner}/staff", headers=admin, json={
        "email": email, "password": password, "name": "Диспетчер", "role_id": role}), 201)
    token = expect(await http.post("/crm/v1/auth/login", json={"email": email, "password": password}),
                   200)["access_token"]
    staff = {"Authorization": f"Bearer {token}"}

    objects = []
    for name, street in OBJECTS:
        object_id = expect(await http.post("/crm/v1/objects", headers=staff, json={
            "name": name, "address": f"г. Москва, ул. {street}, д. 1", "brand_slug": slug}), 201)["id"]
        objects.append((object_id, street))

    # One owner per premise; every fourth premise also has a tenant.
    phones = rng.sample(range(1_000_000, 9_999_999), residents)
    items, addresses, people = [], [], []
    number = 0
    while len(people) < residents:
        number += 1
        object_id, street = objects[number % len(objects)]
        clients = []
        for role_name in ("owner", "tenant") if number % 4 == 0 else ("owner",):
            if len(people) == residents:
                break
            index = len(people)
            last = rng.choice(LAST_NAMES)
            phone = f"+7995{phones[index]}"
            clients.append({"external_id": f"C-{index}", "phone": phone, "last_name": last,
                            "first_name": rng.choice(FIRST_NAMES), "role": role_name,
                            **({"rent_day": 10} if role_name == "tenant" else {})})
            people.append((phone, last))
        items.append({"external_id": f"P-{number}", "object_id": object_id, "type": "apartment", "street": street,
                      "house": "1", "number": str(number), "floor": 1 + number // 8, "total_area": "54.30",
                      "accounts": [{"external_id": f"LS-{number}", "number": f"{number:08d}"}], "clients": clients})
        addresses.append(f"{street} 1 {number}")
    world_residents: list[Resident] = []
    for start in range(0, len(items), 200):
        answer = expect(await http.post("/crm/v1/import/premises", headers=staff,
                                        json={"items": items[start:start + 200]}), 200)
        for result in answer["results"]:
            if result["status"] == "error":
                raise RuntimeError(f"premise import refused an item: {result}")
            for client in result["clients"]:
                phone, last = people[len(world_residents)]
                world_residents.append(Resident(client["client_id"], result["premise_id"], phone, last))

    async def log_in(resident: Resident) -> None:
        code = expect(await http.post("/app/v1/auth/otp", json={"phone": resident.phone}), 200)["debug_code"]
        session = expect(await http.post("/app/v1/auth/login", json={
            "phone": resident.phone, "code": code,
            "device": {"app_id": "domiland", "platform": rng.choice(["android", "ios"]), "model": "Pixel 8",
                       "name": "Телефон", "os_version": "14", "app_version": "4.8.0"}}), 200)
        resident.headers = {"Authorization": f"Bearer {session['access_token']}"}
        resident.fcm_token = f"soak-{secrets.token_hex(16)}"
        expect(await http.put("/app/v1/device", headers=resident.headers, json={
            "fcm_token": resident.fcm_token, "os_notifications_enabled": True}), 200)

    await _gather_limited(8, [log_in(r) for r in world_residents])

    world = World(staff=staff, residents=world_residents, addresses=addresses)

    async def open_request(index: int) -> None:
        resident = world_residents[index]
        order = expect(await http.post("/crm/v1/orders", headers=staff, json={
            "kind": "requests", "premise_id": resident.premise_id, "client_id": resident.client_id,
            "title": "Не работает домофон", "status": "waiting"}), 201)
        world.orders.append((order["id"], index))

    await _gather_limited(8, [open_request(i) for i in range(len(world_residents))])
    return world
