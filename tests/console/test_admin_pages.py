"""The platform admin's console pages over HTTP: partners, brands and their colours, roles and
permissions, staff and API keys, each through the services of `/crm/v1/partners`; a walk over
every admin route proves a partner's staff are refused and a POST without the CSRF token changes
nothing."""

from __future__ import annotations

import html
import re
import uuid

import pytest

from tests.conftest import ADMIN_TOKEN
from tests.console.support import console_login, csrf_of, forged, make_staff
from tests.crm.walk import fill_path, handlers
from tests.support import ADMIN, COLORS, bearer, create_partner, expect, staff_headers

ADMIN_PREFIX = "/console/admin/"
OPEN_ROUTES = ("/console/admin/login",)  # the login form, before any session


@pytest.fixture
async def console(http):
    """A client of its own with a cookie jar (the shared `http` client must stay cookie-less)."""
    import httpx

    async with httpx.AsyncClient(transport=http._transport, base_url="http://testserver") as client:
        yield client


async def admin_login(console) -> str:
    """Logs in with the bootstrap token through the admin form; returns the session's CSRF token."""
    console.cookies.clear()
    form = await console.get("/console/admin/login")
    assert form.status_code == 200 and '<label for="token">' in form.text
    answer = await console.post("/console/admin/login", data={"token": ADMIN_TOKEN, "csrf_token": csrf_of(form.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/admin/partners", answer.text
    return csrf_of((await console.get("/console/admin/partners")).text)


def _next_url(page) -> str | None:
    found = re.search(r'<a href="([^"]+)" id="next-page"', page.text)
    return html.unescape(found.group(1)) if found else None


def _brand(slug: str, **colors) -> dict:
    body = {"slug": slug, "name": "Комфорт", "icon_url": "https://cdn.example.com/icon.png", "logo_url": "",
            "app_url": ""}
    body.update({f"color_{code}": value for code, value in {**COLORS, **colors}.items()})
    return body


async def _permissions(http, headers) -> list[str]:
    return expect(await http.get("/crm/v1/me", headers=headers), 200)["permissions"]


def _admin_routes(app) -> list[tuple[str, str]]:
    return [(method, path) for method, path, _ in handlers(app)
            if path.startswith(ADMIN_PREFIX) and path not in OPEN_ROUTES]


async def _world(http) -> dict[str, str]:
    """One partner with a brand, a role, a staff member and an API key: the ids admin paths name."""
    partner = await create_partner(http, name=f"УК Обход {uuid.uuid4().hex[:6]}")
    brand = expect(await http.post(f"/crm/v1/partners/{partner}/brands", headers=ADMIN, json={
        "slug": f"walk-{uuid.uuid4().hex[:8]}", "name": "Обход", "colors": COLORS,
        "icon_url": "https://cdn.example.com/i.png"}), 201)["id"]
    role = expect(await http.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN,
                                  json={"name": "Обходчик", "permissions": []}), 201)["id"]
    staff = expect(await http.post(f"/crm/v1/partners/{partner}/staff", headers=ADMIN, json={
        "email": f"walk{uuid.uuid4().hex[:8]}@example.com", "password": "correct horse battery", "name": "Обходчик",
        "role_id": role}), 201)["id"]
    key = expect(await http.post(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN, json={"name": "1С"}),
                 201)["id"]
    return {"partner_id": partner, "brand_id": brand, "role_id": role, "staff_id": staff, "key_id": key}


async def _state(http, ids) -> tuple:
    """What an admin POST could change, read through the API (an empty PATCH changes nothing)."""
    partner = ids["partner_id"]
    lists = [expect(await http.get(f"/crm/v1/partners/{partner}/{kind}", headers=ADMIN), 200)["items"]
             for kind in ("roles", "staff", "api-keys")]
    card = expect(await http.patch(f"/crm/v1/partners/{partner}", headers=ADMIN, json={}), 200)
    return card, *(sorted(map(str, items)) for items in lists)


async def test_every_admin_page_is_refused_to_a_partners_staff_and_hidden_from_their_navigation(http, console, app):
    """Rule: STAFF-04 — the admin pages answer a partner's staff member (every permission) 403 as the
    API answers their token, on every GET and POST, and change nothing; anonymous visitors get the
    login form."""
    ids = await _world(http)
    before = await _state(http, ids)
    partner = await create_partner(http)
    email, password, _ = await make_staff(http, partner)
    token = await console_login(console, email, password)
    premises = await console.get("/console/premises")
    assert "/console/admin/" not in premises.text  # the navigation has no admin section
    routes = _admin_routes(app)
    assert len(routes) >= 17
    for method, path in routes:
        url = fill_path(path, ids, "console admin")
        answer = await console.request(method, url, data={"csrf_token": token, "name": "Взлом", "active": "false",
                                                          "permissions": "mailings.send"}
                                       if method == "POST" else None)
        assert answer.status_code == 403, (method, url, answer.status_code)
        assert "Недостаточно прав" in answer.text and "только администратору платформы" in answer.text
    assert await _state(http, ids) == before
    console.cookies.clear()
    for method, path in routes:
        if method == "GET":
            answer = await console.get(fill_path(path, ids, "console admin"))
            assert answer.status_code == 303 and answer.headers["location"] == "/console/", path


async def test_every_admin_post_without_the_csrf_token_is_refused_and_changes_nothing(http, console, app):
    ids = await _world(http)
    before = await _state(http, ids)
    token = await admin_login(console)
    for method, path in _admin_routes(app):
        if method != "POST":
            continue
        url = fill_path(path, ids, "console admin")
        for data in ({"name": "Без токена", "active": "false"}, {"name": "Чужой", "csrf_token": forged(token)}):
            refused = await console.post(url, data=data)
            assert refused.status_code == 403 and "Запрос отклонён" in refused.text, url
    assert await _state(http, ids) == before
    form = await console.get("/console/admin/login")
    refused = await console.post("/console/admin/login", data={"token": ADMIN_TOKEN})
    assert refused.status_code == 403 and form.status_code == 200


async def test_the_admin_logs_in_with_the_bootstrap_token_only(http, console):
    form = await console.get("/console/admin/login")
    assert "script-src 'self'" in form.headers["content-security-policy"]
    wrong = await console.post("/console/admin/login", data={"token": ADMIN_TOKEN + "x",
                                                             "csrf_token": csrf_of(form.text)})
    assert wrong.status_code == 401 and "Неверный токен администратора" in wrong.text
    assert (await console.get("/console/admin/partners")).status_code == 303
    await admin_login(console)
    home = await console.get("/console/admin/partners")
    assert 'href="/console/admin/partners" aria-current="page"' in home.text
    assert "/console/premises" not in home.text and "Администратор платформы" in home.text
    for url in ("/console/", "/console/premises", "/console/mailings"):
        sent = await console.get(url)
        assert sent.status_code == 303 and sent.headers["location"] == "/console/admin/partners", url
    out = await console.post("/console/logout", data={"csrf_token": csrf_of(home.text)})
    assert out.status_code == 303
    assert (await console.get("/console/admin/partners")).status_code == 303


async def test_partners_are_created_listed_with_filters_in_the_url_and_edited(http, console, monkeypatch):
    monkeypatch.setattr("console.admin.PAGE_SIZE", 2)
    tag = uuid.uuid4().hex[:6]
    for n in range(3):
        await create_partner(http, name=f"УК Ромашка {tag} {n}")
    await create_partner(http, name=f"УК Ромашка {tag} застройщик", kind="developer")
    token = await admin_login(console)
    empty = await console.get("/console/admin/partners", params={"q": f"нет такого {tag}"})
    assert "Партнёры не найдены" in empty.text
    first = await console.get("/console/admin/partners", params={"q": f"Ромашка {tag}", "kind": "management"})
    next_url = _next_url(first)
    assert next_url and f"q=%D0%A0%D0%BE%D0%BC%D0%B0%D1%88%D0%BA%D0%B0+{tag}" in next_url and "kind=management" in next_url
    second = await console.get(next_url)
    assert _next_url(second) is None
    names = re.findall(r'class="partner-name">([^<]+)<', first.text + second.text)
    assert names == [f"УК Ромашка {tag} {n}" for n in range(3)]

    blank = await console.post("/console/admin/partners", data={"name": "", "kind": "management",
                                                                "csrf_token": token})
    assert blank.status_code == 400 and "Заполните название" in blank.text
    created = await console.post("/console/admin/partners", data={
        "name": f"УК Новая {tag}", "kind": "both", "products": ["requests", "meters"], "csrf_token": token})
    assert created.status_code == 303
    partner = created.headers["location"].split("/")[-1].split("?")[0]
    card = await console.get(created.headers["location"])
    assert "Партнёр создан" in card.text and "УК и девелопер" in card.text
    expect(await http.post(f"/crm/v1/partners/{partner}/brands", headers=ADMIN, json={
        "slug": f"first-{tag}", "name": "Первый", "colors": COLORS, "icon_url": "https://cdn.example.com/1.png"}), 201)
    second_brand = expect(await http.post(f"/crm/v1/partners/{partner}/brands", headers=ADMIN, json={
        "slug": f"second-{tag}", "name": "Второй", "colors": COLORS, "icon_url": "https://cdn.example.com/2.png"}),
        201)["id"]
    saved = await console.post(f"/console/admin/partners/{partner}", data={
        "products": ["events"], "default_brand_slug": f"second-{tag}", "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["location"].endswith("?done=saved")
    answer = expect(await http.patch(f"/crm/v1/partners/{partner}", headers=ADMIN, json={}), 200)
    assert answer["products"] == ["events"] and answer["default_brand_id"] == second_brand
    foreign = await console.post(f"/console/admin/partners/{partner}", data={
        "products": ["events"], "default_brand_slug": "no-such-brand", "csrf_token": token})
    assert foreign.status_code == 400 and "нет бренда с таким slug" in foreign.text
    assert (await console.get(f"/console/admin/partners/{uuid.uuid4()}")).status_code == 404


async def test_brands_show_their_colours_as_svg_swatches_and_hostile_colours_are_refused(http, console):
    partner = await create_partner(http)
    token = await admin_login(console)
    empty = await console.get(f"/console/admin/partners/{partner}/brands")
    assert "Брендов пока нет" in empty.text
    slug = f"komfort-{uuid.uuid4().hex[:8]}"
    hostile = "red;}</style><script>alert(1)</script>"
    refused = await console.post(f"/console/admin/partners/{partner}/brands",
                                 data={**_brand(slug, primary=hostile), "csrf_token": token})
    assert refused.status_code == 400 and "Цвет «Основной» — в формате #RRGGBB" in refused.text
    assert "<script>alert" not in refused.text and "</style><script>" not in refused.text
    assert 'fill="red' not in refused.text and " style=" not in refused.text
    assert "Брендов пока нет" in refused.text  # nothing was created
    for bad in ("#12345", "url(#x)", "#1E88E5\" onload=\"x"):
        again = await console.post(f"/console/admin/partners/{partner}/brands",
                                   data={**_brand(slug, accent=bad), "csrf_token": token})
        assert again.status_code == 400 and "Цвет «Акцент»" in again.text, bad
    created = await console.post(f"/console/admin/partners/{partner}/brands",
                                 data={**_brand(slug, accent="#FF704380"), "csrf_token": token})
    assert created.status_code == 303
    listed = await console.get(created.headers["location"])
    assert "Бренд создан" in listed.text and slug in listed.text
    table = listed.text.split('id="brands"')[1].split("</table>")[0]
    fills = re.findall(r'<rect [^>]*fill="([^"]+)"[^>]*data-color="(\w+)"', table)
    assert dict((code, fill) for fill, code in fills) == {**COLORS, "accent": "#FF704380"}
    assert "content-security-policy" in listed.headers and " style=" not in listed.text
    taken = await console.post(f"/console/admin/partners/{partner}/brands", data={**_brand(slug), "csrf_token": token})
    assert taken.status_code == 409 and "Бренд с таким slug уже существует" in taken.text

    brand = re.search(rf'/console/admin/partners/{partner}/brands/([0-9a-f-]+)"', listed.text).group(1)
    edit = await console.get(f"/console/admin/partners/{partner}/brands/{brand}")
    assert 'value="#1E88E5"' in edit.text and "Slug не меняется" in edit.text
    bad_edit = await console.post(f"/console/admin/partners/{partner}/brands/{brand}",
                                  data={**_brand("ignored", text=hostile), "csrf_token": token})
    assert bad_edit.status_code == 400 and "<script>alert" not in bad_edit.text
    saved = await console.post(f"/console/admin/partners/{partner}/brands/{brand}",
                               data={**_brand("ignored", primary="#000000"), "name": "Комфорт Плюс",
                                     "csrf_token": token})
    assert saved.status_code == 303
    page = await console.get(saved.headers["location"])
    assert "Изменения сохранены" in page.text and "Комфорт Плюс" in page.text and slug in page.text
    assert re.search(r'fill="#000000"[^>]*data-color="primary"', page.text)


async def test_role_permissions_are_edited_with_checkboxes_and_count_on_the_next_request(http, console):
    """Rule: STAFF-02 — a role's permissions changed in the console take effect on the staff member's
    next API request."""
    partner = await create_partner(http)
    token = await admin_login(console)
    assert "Ролей пока нет" in (await console.get(f"/console/admin/partners/{partner}/roles")).text
    created = await console.post(f"/console/admin/partners/{partner}/roles", data={
        "name": "Диспетчер", "permissions": ["premises.edit", "clients.edit"], "csrf_token": token})
    assert created.status_code == 303
    roles = expect(await http.get(f"/crm/v1/partners/{partner}/roles", headers=ADMIN), 200)["items"]
    assert [(r["name"], r["permissions"]) for r in roles] == [("Диспетчер", ["clients.edit", "premises.edit"])]
    role = roles[0]["id"]
    listed = await console.get(created.headers["location"])
    assert "Роль создана" in listed.text and "Изменять клиентов; Изменять помещения" in listed.text
    unknown = await console.post(f"/console/admin/partners/{partner}/roles/{role}", data={
        "name": "Диспетчер", "permissions": ["everything"], "csrf_token": token})
    assert unknown.status_code == 400 and "Выберите разрешения из списка" in unknown.text
    email = f"role{uuid.uuid4().hex[:8]}@example.com"
    expect(await http.post(f"/crm/v1/partners/{partner}/staff", headers=ADMIN, json={
        "email": email, "password": "correct horse battery", "name": "Оператор", "role_id": role}), 201)
    headers = bearer(expect(await http.post("/crm/v1/auth/login", json={
        "email": email, "password": "correct horse battery"}), 200)["access_token"])
    assert await _permissions(http, headers) == ["clients.edit", "premises.edit"]
    edit = await console.get(f"/console/admin/partners/{partner}/roles/{role}")
    assert re.search(r'value="premises.edit" checked', edit.text) and not re.search(r'value="mailings.send" checked',
                                                                                    edit.text)
    saved = await console.post(f"/console/admin/partners/{partner}/roles/{role}", data={
        "name": "Старший диспетчер", "permissions": ["mailings.send"], "csrf_token": token})
    assert saved.status_code == 303
    assert await _permissions(http, headers) == ["mailings.send"]
    page = await console.get(saved.headers["location"])
    assert "Изменения сохранены" in page.text and re.search(r'value="mailings.send" checked', page.text)


async def test_staff_are_created_moved_between_roles_deactivated_and_activated(http, console, monkeypatch):
    """Rule: STAFF-04 — a member deactivated in the console loses the API and the console at once."""
    monkeypatch.setattr("console.admin.PAGE_SIZE", 2)
    partner = await create_partner(http)
    token = await admin_login(console)
    no_roles = await console.get(f"/console/admin/partners/{partner}/staff")
    assert "Сотрудников пока нет" in no_roles.text and "создайте роль" in no_roles.text
    clerk = expect(await http.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN,
                                   json={"name": "Клерк", "permissions": []}), 201)["id"]
    boss = expect(await http.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN,
                                  json={"name": "Начальник", "permissions": ["mailings.send"]}), 201)["id"]
    tag = uuid.uuid4().hex[:8]
    short = await console.post(f"/console/admin/partners/{partner}/staff", data={
        "name": "Ольга", "email": f"olga{tag}@example.com", "password": "short", "role_id": clerk, "csrf_token": token})
    assert short.status_code == 400 and "Пароль — от 8" in short.text and 'value="short"' not in short.text
    for n in range(3):
        created = await console.post(f"/console/admin/partners/{partner}/staff", data={
            "name": f"Сотрудник {n}", "email": f"s{n}{tag}@example.com", "password": "correct horse battery",
            "role_id": clerk, "csrf_token": token})
        assert created.status_code == 303, created.text
    taken = await console.post(f"/console/admin/partners/{partner}/staff", data={
        "name": "Двойник", "email": f"S0{tag}@example.com", "password": "correct horse battery", "role_id": clerk,
        "csrf_token": token})
    assert taken.status_code == 409 and "Сотрудник с таким email уже существует" in taken.text
    first = await console.get(f"/console/admin/partners/{partner}/staff", params={"q": tag, "state": "active"})
    next_url = _next_url(first)
    assert next_url and f"q={tag}" in next_url and "state=active" in next_url
    assert _next_url(await console.get(next_url)) is None
    staff = expect(await http.get(f"/crm/v1/partners/{partner}/staff", headers=ADMIN), 200)["items"]
    member = staff[0]
    login = expect(await http.post("/crm/v1/auth/login", json={"email": member["email"],
                                                               "password": "correct horse battery"}), 200)
    headers = bearer(login["access_token"])
    assert await _permissions(http, headers) == []
    moved = await console.post(f"/console/admin/partners/{partner}/staff/{member['id']}",
                               data={"role_id": boss, "csrf_token": token})
    assert moved.status_code == 303 and moved.headers["location"].endswith("done=role")
    assert await _permissions(http, headers) == ["mailings.send"]
    foreign_role = expect(await http.post(f"/crm/v1/partners/{await create_partner(http)}/roles", headers=ADMIN,
                                          json={"name": "Чужая", "permissions": []}), 201)["id"]
    refused = await console.post(f"/console/admin/partners/{partner}/staff/{member['id']}",
                                 data={"role_id": foreign_role, "csrf_token": token})
    assert refused.status_code == 400 and "У партнёра нет такой роли" in refused.text
    off = await console.post(f"/console/admin/partners/{partner}/staff/{member['id']}",
                             data={"active": "false", "csrf_token": token})
    assert off.status_code == 303
    assert (await http.get("/crm/v1/me", headers=headers)).status_code == 401
    inactive = await console.get(f"/console/admin/partners/{partner}/staff", params={"state": "inactive"})
    assert re.findall(r'class="staff-name">([^<]+)<', inactive.text) == [member["name"]]
    assert "Отключён" in inactive.text and "Сотрудник отключён" not in inactive.text
    on = await console.post(f"/console/admin/partners/{partner}/staff/{member['id']}",
                            data={"active": "true", "csrf_token": token})
    assert on.status_code == 303 and "Сотрудник снова может войти" in (await console.get(on.headers["location"])).text
    again = expect(await http.post("/crm/v1/auth/login", json={"email": member["email"],
                                                               "password": "correct horse battery"}), 200)
    assert (await http.get("/crm/v1/me", headers=bearer(again["access_token"]))).status_code == 200


async def test_an_api_key_is_shown_once_after_creation_and_revoking_it_refuses_it_on_crm_v1(http, console):
    partner = await create_partner(http)
    token = await admin_login(console)
    assert "Ключей API пока нет" in (await console.get(f"/console/admin/partners/{partner}/api-keys")).text
    blank = await console.post(f"/console/admin/partners/{partner}/api-keys", data={"name": " ", "csrf_token": token})
    assert blank.status_code == 400 and "Заполните название" in blank.text
    created = await console.post(f"/console/admin/partners/{partner}/api-keys",
                                 data={"name": "Интеграция 1С", "csrf_token": token})
    assert created.status_code == 303 and "pk_" not in created.headers["location"]
    shown = await console.get(created.headers["location"])
    key = re.search(r'id="new-api-key"[^>]*value="(pk_[^"]+)"', shown.text).group(1)
    assert "показан один раз" in shown.text and shown.headers["cache-control"] == "no-store"
    reloaded = await console.get(created.headers["location"])
    assert key not in reloaded.text and 'id="new-api-key"' not in reloaded.text
    assert key[:10] in reloaded.text  # the prefix stays, to tell keys apart
    assert (await http.get("/crm/v1/me", headers=bearer(key))).status_code == 200
    key_id = expect(await http.get(f"/crm/v1/partners/{partner}/api-keys", headers=ADMIN), 200)["items"][0]["id"]
    revoked = await console.post(f"/console/admin/partners/{partner}/api-keys/{key_id}/revoke",
                                 data={"csrf_token": token})
    assert revoked.status_code == 303
    assert (await http.get("/crm/v1/me", headers=bearer(key))).status_code == 401
    page = await console.get(revoked.headers["location"])
    assert "Ключ отозван" in page.text and "Отозван" in page.text
    live = await console.get(f"/console/admin/partners/{partner}/api-keys", params={"state": "live"})
    assert "Таких ключей нет" in live.text
    gone = await console.get(f"/console/admin/partners/{partner}/api-keys", params={"state": "revoked"})
    assert "Интеграция 1С" in gone.text
    other = await create_partner(http, name="УК Чужая")
    foreign = await console.post(f"/console/admin/partners/{other}/api-keys/{key_id}/revoke",
                                 data={"csrf_token": token})
    assert foreign.status_code == 404


async def test_the_mailings_page_filters_by_sender_and_keeps_it_in_the_url(http, console, monkeypatch, clock):
    """Rule: PUSH-06 — the sender filter of `GET /crm/v1/mailings` (`sender_id`) in the console."""
    monkeypatch.setattr("console.controller.PAGE_SIZE", 1)
    partner = await create_partner(http)
    email, password, anna = await make_staff(http, partner, ["mailings.send"])
    anna_headers = bearer(expect(await http.post("/crm/v1/auth/login", json={
        "email": email, "password": password}), 200)["access_token"])
    other = await staff_headers(http, partner, ["mailings.send"])
    sent = {}
    for headers, title in ((anna_headers, "От Анны 1"), (other, "От коллеги"), (anna_headers, "От Анны 2")):
        clock.advance(minutes=1)
        sent[title] = expect(await http.post("/crm/v1/mailings", headers=headers, json={
            "channel": "push", "title": title, "body": "Текст", "filter": {}}), 201)["id"]
    await console_login(console, email, password)
    page = await console.get("/console/mailings")
    assert '<label for="mailing-sender">Отправитель</label>' in page.text and f'value="{anna}"' in page.text
    first = await console.get("/console/mailings", params={"sender_id": anna})
    assert f'value="{anna}" selected' in first.text
    next_url = _next_url(first)
    assert next_url and f"sender_id={anna}" in next_url
    second = await console.get(next_url)
    assert _next_url(second) is None
    titles = re.findall(r'class="mailing-title">([^<]+)<', first.text + second.text)
    api = expect(await http.get("/crm/v1/mailings", headers=anna_headers, params={"sender_id": anna}), 200)["items"]
    assert titles == [m["title"] for m in api] == ["От Анны 2", "От Анны 1"]
    nobody = await console.get("/console/mailings", params={"sender_id": str(uuid.uuid4())})
    assert "Рассылки не найдены" in nobody.text
    bad = await console.get("/console/mailings", params={"sender_id": "not-an-id"})
    assert bad.status_code == 400 and "Некорректный идентификатор" in bad.text


async def test_console_logins_are_limited_per_address_like_the_api(http, console, limits):
    """The console's two logins carry the API login's limits: guesses of the admin token and of staff
    passwords from one address are stopped there (429 on the page), not at another address."""
    limits(staff_login_per_ip_hour=2, trusted_proxies=("127.0.0.1",))
    guesser = {"X-Forwarded-For": "198.51.100.9"}
    for form, path, data in (("/console/admin/login", "/console/admin/login", {"token": "guess"}),
                             ("/console/", "/console/login", {"email": "nobody@example.com", "password": "guess"})):
        console.cookies.clear()
        page = await console.get(form)
        for _ in range(2):  # each answer is a fresh form with a fresh CSRF token
            page = await console.post(path, headers=guesser, data={**data, "csrf_token": csrf_of(page.text)})
            assert page.status_code == 401, path
        stopped = await console.post(path, headers=guesser, data={**data, "csrf_token": csrf_of(page.text)})
        assert stopped.status_code == 429 and "Повторите позже" in stopped.text, path
    await admin_login(console)  # the admin, from the office, still gets in
