"""Setting a partner up over HTTP alone: partners, brands, roles, staff, API keys, staff login."""

from __future__ import annotations

from tests.support import ADMIN, COLORS, api_key_headers, bearer, create_brand, create_partner, expect, staff_headers


async def test_partner_is_set_up_over_http(http):
    partner = await create_partner(http, name="ГК Девелопер", kind="both", products=["showcase", "requests"])
    brand = await create_brand(http, partner, slug="sunny-park")
    assert brand["slug"] == "sunny-park"
    card = expect(await http.patch(f"/crm/v1/partners/{partner}", headers=ADMIN,
                                   json={"products": ["events", "requests"], "default_brand_slug": "sunny-park"}), 200)
    assert card["products"] == ["events", "requests"]
    assert card["default_brand_id"] == brand["id"]
    headers = await staff_headers(http, partner, ["premises.edit"])
    me = expect(await http.get("/crm/v1/me", headers=headers), 200)
    assert me == {"partner_id": partner, "actor_type": "staff", "actor_id": me["actor_id"],
                  "permissions": ["premises.edit"]}
    key_me = expect(await http.get("/crm/v1/me", headers=await api_key_headers(http, partner)), 200)
    assert key_me["actor_type"] == "api_key" and key_me["partner_id"] == partner


async def test_admin_endpoints_need_the_admin_token(http):
    body = {"name": "X", "kind": "management"}
    assert (await http.post("/crm/v1/partners", json=body)).status_code == 401
    assert (await http.post("/crm/v1/partners", json=body, headers=bearer("wrong"))).status_code == 401
    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    assert (await http.post("/crm/v1/partners", json=body, headers=staff)).status_code == 401


async def test_brand_slug_is_unique_across_partners(http):
    first, second = await create_partner(http), await create_partner(http)
    await create_brand(http, first, slug="shared-name")
    response = await http.post(f"/crm/v1/partners/{second}/brands", headers=ADMIN, json={
        "slug": "shared-name", "name": "Other", "colors": COLORS, "icon_url": "https://cdn.example.com/x.png"})
    assert response.status_code == 409 and response.json()["code"] == "brand_slug_taken"


async def test_brand_colors_are_validated(http):
    partner = await create_partner(http)
    response = await http.post(f"/crm/v1/partners/{partner}/brands", headers=ADMIN, json={
        "slug": "bad-colors", "name": "B", "colors": {**COLORS, "primary": "blue"}, "icon_url": "https://x.io/i.png"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "colors.primary"


async def test_staff_of_one_partner_cannot_use_a_role_of_another(http):
    first, second = await create_partner(http), await create_partner(http)
    role = expect(await http.post(f"/crm/v1/partners/{first}/roles", headers=ADMIN,
                                  json={"name": "R", "permissions": []}), 201)["id"]
    response = await http.post(f"/crm/v1/partners/{second}/staff", headers=ADMIN, json={
        "email": "a@b.ru", "password": "long enough", "name": "A", "role_id": role})
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "role_id"


async def test_unknown_permission_is_refused(http):
    partner = await create_partner(http)
    response = await http.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN,
                               json={"name": "R", "permissions": ["everything"]})
    assert response.status_code == 400


async def test_staff_email_is_unique_and_login_checks_the_password(http):
    partner = await create_partner(http)
    role = expect(await http.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN,
                                  json={"name": "R", "permissions": []}), 201)["id"]
    body = {"email": "Anna@Example.com", "password": "s3cret-pass", "name": "Анна", "role_id": role}
    expect(await http.post(f"/crm/v1/partners/{partner}/staff", headers=ADMIN, json=body), 201)
    again = await http.post(f"/crm/v1/partners/{partner}/staff", headers=ADMIN, json={**body, "email": "anna@example.com"})
    assert again.status_code == 409
    wrong = await http.post("/crm/v1/auth/login", json={"email": "anna@example.com", "password": "nope-nope"})
    assert wrong.status_code == 401 and wrong.json()["detail"] == "Неверный email или пароль"
    unknown = await http.post("/crm/v1/auth/login", json={"email": "ghost@example.com", "password": "nope-nope"})
    assert unknown.status_code == 401 and unknown.json()["detail"] == wrong.json()["detail"]
    ok = expect(await http.post("/crm/v1/auth/login", json={"email": "ANNA@example.com", "password": "s3cret-pass"}), 200)
    assert expect(await http.get("/crm/v1/me", headers=bearer(ok["access_token"])), 200)["partner_id"] == partner


async def test_api_key_is_shown_once_and_stored_hashed(http, db):
    from sqlalchemy import select

    from core.models import ApiKey

    partner = await create_partner(http)
    created = expect(await http.post(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN, json={"name": "1C"}), 201)
    stored = (await db.scalars(select(ApiKey.key_hash))).all()
    assert created["key"] not in stored and len(stored[0]) == 64
    assert (await http.get("/crm/v1/me", headers=bearer(created["key"] + "x"))).status_code == 401


async def test_staff_token_expires(http, clock):
    partner = await create_partner(http)
    headers = await staff_headers(http, partner)
    clock.advance(hours=12, seconds=1)
    response = await http.get("/crm/v1/me", headers=headers)
    assert response.status_code == 401 and response.json()["code"] == "token_expired"


async def test_resident_token_is_not_a_staff_token(http):
    from tests.support import login_resident

    tokens = await login_resident(http, "+79161112233")
    assert (await http.get("/crm/v1/me", headers=bearer(tokens["access_token"]))).status_code == 401


async def test_audit_is_listed_for_the_platform_admin(http):
    """Staff reads of personal data and merges are recorded and listable by the platform admin."""
    from tests.crm.estate import make_client

    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    client = await make_client(http, staff)
    expect(await http.get(f"/crm/v1/clients/{client}", headers=staff), 200)
    listed = expect(await http.get("/crm/v1/audit", headers=ADMIN, params={"partner_id": partner,
                                                                          "action": "pii.read"}), 200)
    assert listed["items"][0]["target_id"] == client and listed["items"][0]["actor_type"] == "staff"
    assert (await http.get("/crm/v1/audit", headers=staff)).status_code == 401
