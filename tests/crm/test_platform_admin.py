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


async def _staff(http, partner: str, email: str, permissions: list[str]) -> tuple[str, str, dict]:
    """(staff id, role id, headers) of a new staff member of `partner`."""
    role = expect(await http.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN, json={
        "name": "Роль", "permissions": permissions}), 201)["id"]
    staff = expect(await http.post(f"/crm/v1/partners/{partner}/staff", headers=ADMIN, json={
        "email": email, "password": "correct horse battery", "name": "Иван Петров", "role_id": role}), 201)["id"]
    token = expect(await http.post("/crm/v1/auth/login", json={"email": email, "password": "correct horse battery"}),
                   200)["access_token"]
    return staff, role, bearer(token)


async def test_admin_revokes_an_api_key_and_it_is_refused_at_once(http):
    """Rule: STAFF-04 — the platform admin lists a partner's API keys (never the keys) and revokes
    one: the next request with it is refused; a key of another partner is unknown (404)."""
    partner, other = await create_partner(http), await create_partner(http)
    created = expect(await http.post(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN, json={"name": "1C"}), 201)
    key = bearer(created["key"])
    foreign = expect(await http.post(f"/crm/v1/partners/{other}/api-keys", headers=ADMIN, json={"name": "Сайт"}), 201)
    listed = expect(await http.get(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN), 200)
    assert [(k["id"], k["name"], k["last_used_at"], k["revoked_at"]) for k in listed["items"]] == [
        (created["id"], "1C", None, None)] and listed["next_cursor"] is None
    assert created["key"] not in str(listed)
    expect(await http.get("/crm/v1/me", headers=key), 200)
    used = expect(await http.get(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN), 200)["items"][0]
    assert used["last_used_at"] is not None
    assert (await http.delete(f"/crm/v1/partners/{partner}/api-keys/{foreign['id']}", headers=ADMIN)).status_code == 404
    assert (await http.delete(f"/crm/v1/partners/{partner}/api-keys/not-an-id", headers=ADMIN)).status_code == 404
    assert (await http.delete(f"/crm/v1/partners/{partner}/api-keys/{created['id']}", headers=ADMIN)).status_code == 204
    refused = await http.get("/crm/v1/me", headers=key)
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_api_key"
    assert (await http.post("/crm/v1/import/clients", headers=key, json={"items": [{}]})).status_code == 401
    revoked = expect(await http.get(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN), 200)["items"][0]
    assert revoked["revoked_at"] is not None
    audit = expect(await http.get("/crm/v1/audit", headers=ADMIN, params={"action": "api_key.revoke"}), 200)["items"]
    assert [(a["partner_id"], a["actor_type"], a["target_id"]) for a in audit] == [(partner, "admin", created["id"])]
    expect(await http.get("/crm/v1/me", headers=bearer(foreign["key"])), 200)
    assert (await http.get(f"/crm/v1/partners/{partner}/api-keys")).status_code == 401


async def test_admin_deactivates_staff_and_their_tokens_stop_at_once(http):
    """Rule: STAFF-04 — a deactivated staff member's token is refused on the next request and
    stays refused after reactivation (a new login works again); another partner's staff: 404."""
    partner, other = await create_partner(http), await create_partner(http)
    staff_id, _, headers = await _staff(http, partner, "leaver@example.com", ["premises.edit"])
    foreign_id, foreign_role, _ = await _staff(http, other, "foreigner@example.com", [])
    listed = expect(await http.get(f"/crm/v1/partners/{partner}/staff", headers=ADMIN), 200)
    assert [(s["id"], s["email"], s["active"]) for s in listed["items"]] == [(staff_id, "leaver@example.com", True)]
    assert "password" not in str(listed)
    expect(await http.get("/crm/v1/me", headers=headers), 200)
    assert (await http.patch(f"/crm/v1/partners/{partner}/staff/{foreign_id}", headers=ADMIN,
                             json={"active": False})).status_code == 404
    wrong_role = await http.patch(f"/crm/v1/partners/{partner}/staff/{staff_id}", headers=ADMIN,
                                  json={"role_id": foreign_role})
    assert wrong_role.status_code in (400, 404)
    answer = expect(await http.patch(f"/crm/v1/partners/{partner}/staff/{staff_id}", headers=ADMIN,
                                     json={"active": False, "name": "Уволен"}), 200)
    assert (answer["active"], answer["name"]) == (False, "Уволен")
    audit = expect(await http.get("/crm/v1/audit", headers=ADMIN, params={"target_id": staff_id}), 200)["items"]
    assert [(a["action"], a["fields"]) for a in audit] == [("staff.update", ["active", "name"])]
    refused = await http.get("/crm/v1/me", headers=headers)
    assert refused.status_code == 401 and refused.json()["code"] == "staff_inactive"
    login = await http.post("/crm/v1/auth/login", json={"email": "leaver@example.com",
                                                        "password": "correct horse battery"})
    assert login.status_code == 401
    expect(await http.patch(f"/crm/v1/partners/{partner}/staff/{staff_id}", headers=ADMIN, json={"active": True}), 200)
    assert (await http.get("/crm/v1/me", headers=headers)).status_code == 401
    fresh = expect(await http.post("/crm/v1/auth/login", json={"email": "leaver@example.com",
                                                               "password": "correct horse battery"}), 200)
    expect(await http.get("/crm/v1/me", headers=bearer(fresh["access_token"])), 200)


async def test_admin_edits_a_role_and_it_counts_from_the_next_request(http):
    """Rule: STAFF-01 — a role's new permissions count from the next request of its staff; unknown
    permission names are refused (400); a role of another partner is unknown (404); moving a staff
    member to another role changes their rights at once."""
    partner, other = await create_partner(http), await create_partner(http)
    staff_id, role, headers = await _staff(http, partner, "editor@example.com", ["premises.edit"])
    _, foreign_role, _ = await _staff(http, other, "other@example.com", ["clients.edit"])
    roles = expect(await http.get(f"/crm/v1/partners/{partner}/roles", headers=ADMIN), 200)["items"]
    assert [(r["id"], r["permissions"]) for r in roles] == [(role, ["premises.edit"])]
    body = {"object_id": "00000000-0000-0000-0000-000000000000", "kind": "requests", "premise_id": "x",
            "client_id": "x", "title": "Заявка", "status": "waiting"}
    assert (await http.post("/crm/v1/orders", headers=headers, json=body)).status_code == 403
    bad = await http.patch(f"/crm/v1/partners/{partner}/roles/{role}", headers=ADMIN,
                           json={"permissions": ["clients.edit", "everything"]})
    assert bad.status_code == 400
    assert (await http.patch(f"/crm/v1/partners/{partner}/roles/{foreign_role}", headers=ADMIN,
                             json={"permissions": []})).status_code == 404
    assert (await http.patch(f"/crm/v1/partners/{other}/roles/{role}", headers=ADMIN,
                             json={"permissions": []})).status_code == 404
    updated = expect(await http.patch(f"/crm/v1/partners/{partner}/roles/{role}", headers=ADMIN,
                                      json={"name": "Диспетчер", "permissions": ["clients.edit"]}), 200)
    assert (updated["name"], updated["permissions"]) == ("Диспетчер", ["clients.edit"])
    assert expect(await http.get("/crm/v1/me", headers=headers), 200)["permissions"] == ["clients.edit"]
    assert (await http.post("/crm/v1/orders", headers=headers, json=body)).status_code == 400
    assert (await http.post("/crm/v1/objects", headers=headers, json={"name": "ЖК", "address": "ул. 1"})).status_code == 403
    reader = expect(await http.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN, json={
        "name": "Читатель", "permissions": []}), 201)["id"]
    expect(await http.patch(f"/crm/v1/partners/{partner}/staff/{staff_id}", headers=ADMIN, json={"role_id": reader}),
           200)
    assert expect(await http.get("/crm/v1/me", headers=headers), 200)["permissions"] == []


async def test_admin_lists_page_with_a_cursor(http):
    """The admin's lists are keyset-paginated like every list."""
    partner = await create_partner(http)
    for name in ("A", "B", "C"):
        expect(await http.post(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN, json={"name": name}), 201)
    first = expect(await http.get(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN, params={"limit": 2}), 200)
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = expect(await http.get(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN,
                                 params={"limit": 2, "cursor": first["next_cursor"]}), 200)
    assert sorted(k["name"] for k in first["items"] + rest["items"]) == ["A", "B", "C"]
    assert rest["next_cursor"] is None
    missing = "00000000-0000-0000-0000-000000000000"
    assert (await http.get(f"/crm/v1/partners/{missing}/staff", headers=ADMIN)).status_code == 404


async def test_admin_token_guesses_are_limited_per_address(http, limits):
    """STAFF-02's lockout for the platform admin's token: guesses from one address are counted like
    staff logins; past the limit even the right token is refused there, while another address
    (and the admin's own) still gets in."""
    limits(staff_login_per_ip_hour=3, trusted_proxies=("127.0.0.1",))
    guesser, admin_office = {"X-Forwarded-For": "198.51.100.7"}, {"X-Forwarded-For": "198.51.100.8"}
    for _ in range(3):
        expect(await http.get("/crm/v1/audit", headers={**bearer("guess"), **guesser}), 401)
    refused = expect(await http.get("/crm/v1/audit", headers={**ADMIN, **guesser}), 429)
    assert refused["code"] == "admin_token_ip_limited"
    for _ in range(5):  # the right token gives its count back: the admin is never locked out by using it
        expect(await http.get("/crm/v1/audit", headers={**ADMIN, **admin_office}), 200)
