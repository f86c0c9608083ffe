"""The staff console over HTTP (httpx against the app): login into a cookie session, the CSRF
check on every POST, the security headers, and personal data masked exactly as the API masks it.
The browser itself is driven in test_browser.py."""

from __future__ import annotations

import re
import uuid

import pytest

from tests.console.support import console_login, csrf_of, forged, make_staff
from tests.crm.estate import link, make_client, make_object, make_premise
from tests.support import ADMIN, create_partner, expect, staff_headers


@pytest.fixture
async def console(http):
    """A client of its own with a cookie jar (the shared `http` client must stay cookie-less)."""
    import httpx

    async with httpx.AsyncClient(transport=http._transport, base_url="http://testserver") as client:
        yield client


async def test_login_page_is_a_russian_form_with_labels_and_strict_csp(console):
    page = await console.get("/console/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert '<label for="email">E-mail</label>' in page.text and '<label for="password">Пароль</label>' in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in page.text and " style=" not in page.text
    script = await console.get("/console/static/console.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    assert (await console.get("/console")).status_code == 200
    cookie = page.headers["set-cookie"]
    assert "console_login_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")


async def test_staff_log_in_into_an_httponly_session_and_out_again(http, console):
    partner = await create_partner(http)
    email, password, _ = await make_staff(http, partner)
    page = await console.get("/console/")
    answer = await console.post("/console/login", data={"email": email, "password": password,
                                                        "csrf_token": csrf_of(page.text)})
    assert answer.status_code == 303 and answer.headers["location"] == "/console/premises"
    session_cookie = [c for c in answer.headers.get_list("set-cookie") if c.startswith("console_session=")][0]
    assert "HttpOnly" in session_cookie and "Path=/console" in session_cookie
    premises = await console.get("/console/premises")
    assert premises.status_code == 200 and "Помещений пока нет" in premises.text
    out = await console.post("/console/logout", data={"csrf_token": csrf_of(premises.text)})
    assert out.status_code == 303
    again = await console.get("/console/premises")
    assert again.status_code == 303 and again.headers["location"] == "/console/"


async def test_wrong_password_is_refused_in_russian_and_the_lockout_applies(http, console):
    partner = await create_partner(http)
    email, _, _ = await make_staff(http, partner)
    for _ in range(5):
        page = await console.get("/console/")
        answer = await console.post("/console/login", data={"email": email, "password": "wrong",
                                                            "csrf_token": csrf_of(page.text)})
        assert answer.status_code == 401 and "Неверный e-mail или пароль" in answer.text
    page = await console.get("/console/")
    locked = await console.post("/console/login", data={"email": email, "password": "correct horse battery",
                                                        "csrf_token": csrf_of(page.text)})
    assert locked.status_code == 429 and "Слишком много неудачных попыток" in locked.text


async def test_a_post_without_the_csrf_token_is_403_and_changes_nothing(http, console):
    partner = await create_partner(http)
    email, password, _ = await make_staff(http, partner)
    staff = await staff_headers(http, partner)
    premise = await make_premise(http, staff, await make_object(http, staff))
    client = await make_client(http, staff)
    token = await console_login(console, email, password)
    for data in ({"client_id": client, "role": "owner"},
                 {"client_id": client, "role": "owner", "csrf_token": forged(token)}):
        refused = await console.post(f"/console/premises/{premise}/clients", data=data)
        assert refused.status_code == 403 and "Запрос отклонён" in refused.text
    card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    assert card["clients"] == []
    accepted = await console.post(f"/console/premises/{premise}/clients",
                                  data={"client_id": client, "role": "owner", "csrf_token": token})
    assert accepted.status_code == 303
    card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    assert [c["client_id"] for c in card["clients"]] == [client]
    console.cookies.clear()
    await console.get("/console/")
    refused = await console.post("/console/login", data={"email": email, "password": password})
    assert refused.status_code == 403 and "console_session" not in console.cookies


async def test_deactivated_staff_are_logged_out_on_the_next_request(http, console):
    """Rule: STAFF-04 — the platform admin deactivates a staff member: their console session ends."""
    partner = await create_partner(http)
    email, password, staff_id = await make_staff(http, partner)
    await console_login(console, email, password)
    assert (await console.get("/console/clients")).status_code == 200
    expect(await http.patch(f"/crm/v1/partners/{partner}/staff/{staff_id}", headers=ADMIN, json={"active": False}),
           200)
    answer = await console.get("/console/clients")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"


async def test_staff_without_pii_rights_see_names_and_phones_masked_as_in_the_api(http, console):
    """Rule: STAFF-02"""
    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    premise = await make_premise(http, staff, await make_object(http, staff))
    client = await make_client(http, staff, last_name="Смирнова", first_name="Ольга", phone="+79161234567")
    await link(http, staff, premise, client)
    email, password, _ = await make_staff(http, partner, ["premises.edit", "clients.edit"])
    await console_login(console, email, password)
    pages = [await console.get(url) for url in (
        "/console/clients?q=8%20(916)%20123-45-67", f"/console/clients/{client}", "/console/premises",
        f"/console/premises/{premise}", f"/console/premises/{premise}?client_q=Смирнова")]
    masked_api = expect(await http.get(f"/crm/v1/clients/{client}", headers=await _no_pii(http, partner)), 200)
    for page in pages:
        assert page.status_code == 200, page.text
        shown = re.sub(r'<input[^>]*name="(q|client_q)"[^>]*>', "", page.text)  # what the staff typed
        assert "Смирнова" not in shown and "Ольга" not in shown
        assert "9161234567" not in re.sub(r"\D", "", shown)
    assert masked_api["full_name"] in pages[1].text and masked_api["phone"] in pages[1].text
    assert "1234567" not in pages[0].text and masked_api["full_name"] in pages[0].text


async def _no_pii(http, partner):
    return await staff_headers(http, partner, ["premises.edit", "clients.edit"])


async def test_pages_refuse_in_russian_what_the_api_refuses(http, console):
    """Rule: STAFF-04"""
    partner = await create_partner(http)
    other = await create_partner(http, name="УК Чужая")
    other_staff = await staff_headers(http, other)
    foreign_client = await make_client(http, other_staff)
    email, password, _ = await make_staff(http, partner, ["clients.pii.name"])
    token = await console_login(console, email, password)
    foreign = await console.get(f"/console/clients/{foreign_client}")
    assert foreign.status_code == 404 and "Клиент не найден" in foreign.text
    assert "content-security-policy" in foreign.headers
    for url in ("/console/mailings", "/console/registration-requests"):
        refused = await console.get(url)
        assert refused.status_code == 403 and "Недостаточно прав" in refused.text
    posted = await console.post("/console/mailings", data={"channel": "push", "title": "Т", "body": "Т",
                                                           "csrf_token": token})
    assert posted.status_code == 403
    unknown = await console.get("/console/no-such-page")
    assert unknown.status_code == 404 and "Страница не найдена" in unknown.text
    bad_sort = await console.get("/console/premises?sort=evil&type=castle&q=" + "я" * 500)
    assert bad_sort.status_code == 200


async def test_the_session_cookie_is_secure_outside_development_and_test():
    from types import SimpleNamespace

    from console.security import SESSION_COOKIE, cookie

    def header(env: str) -> str:
        runtime = SimpleNamespace(settings=SimpleNamespace(app_env=env))
        return cookie(runtime, SESSION_COOKIE, "id", max_age=60).to_header()

    assert "Secure" in header("production") and "HttpOnly" in header("production")
    assert "Secure" not in header("development") and "Secure" not in header("test")
    assert "SameSite=lax" in header("production").replace("Lax", "lax")


async def test_premises_list_pages_keep_the_filters_and_the_export_follows_them(http, console):
    """Rule: CRM-PREM-01, STAFF-02"""
    import html
    import io

    from openpyxl import load_workbook

    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    obj = await make_object(http, staff)
    for n in range(1, 28):
        await make_premise(http, staff, obj, str(n), total_area=str(n + 30))
    await make_premise(http, staff, obj, "1", type="parking_space")
    owner = await make_client(http, staff, last_name="Смирнова", first_name="Ольга")
    await link(http, staff, (await _premise_numbered(http, staff, "27")), owner)
    email, password, _ = await make_staff(http, partner, ["premises.edit"])
    await console_login(console, email, password)
    first = await console.get("/console/premises", params={"type": "apartment", "sort": "-area", "q": "Ленина 5"})
    assert first.status_code == 200
    numbers = re.findall(r"ул\. Ленина, д\. 5, кв\. (\d+)</a>", first.text)
    assert numbers == [str(n) for n in range(27, 2, -1)]  # 25 a page, largest area first, no parking space
    next_url = html.unescape(re.search(r'<a href="([^"]+)" id="next-page"', first.text).group(1))
    assert "type=apartment" in next_url and "sort=-area" in next_url and "cursor=" in next_url
    rest = await console.get(next_url)
    assert re.findall(r"ул\. Ленина, д\. 5, кв\. (\d+)</a>", rest.text) == ["2", "1"]
    assert 'id="next-page"' not in rest.text
    export_url = html.unescape(re.search(r'href="([^"]+)" id="export-premises"', first.text).group(1))
    assert "type=apartment" in export_url and "cursor" not in export_url
    sheet = load_workbook(io.BytesIO((await console.get(export_url)).content)).worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert len(rows) == 27
    assert not any("Смирнова" in str(v) for row in rows for v in row)
    assert any(str(v).startswith("********") for row in rows for v in row if v)


async def _premise_numbered(http, staff, number: str) -> str:
    items = expect(await http.get("/crm/v1/premises", headers=staff, params={"q": f"Ленина 5 {number}"}), 200)["items"]
    return next(p["id"] for p in items if p["number"] == number)


async def test_monitor_draws_days_or_weeks_as_server_side_svg(http, console):
    """Rule: PUSH-07"""
    partner = await create_partner(http)
    email, password, _ = await make_staff(http, partner, [])
    await console_login(console, email, password)
    days = await console.get("/console/monitor", params={"from": "2026-11-01", "to": "2026-11-10"})
    assert days.status_code == 200
    assert days.text.count('class="bar active_users"') == 10 and days.text.count("<svg") == 1
    weeks = await console.get("/console/monitor", params={"from": "2026-11-02", "to": "2026-11-29",
                                                          "granularity": "week"})
    assert weeks.text.count('class="bar opt_outs"') == 4 and "Неделя с" in weeks.text
    wrong = await console.get("/console/monitor", params={"from": "2026-11-10", "to": "2026-11-01"})
    assert wrong.status_code == 400 and "Период" in wrong.text


async def test_linking_and_unlinking_from_the_premise_card_use_the_crm_rules(http, console):
    """Rule: CRM-LINK-01"""
    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    premise = await make_premise(http, staff, await make_object(http, staff))
    owner = await make_client(http, staff, last_name="Смирнова", first_name="Ольга")
    tenant = await make_client(http, staff, last_name="Кузнецов", first_name="Игорь")
    email, password, _ = await make_staff(http, partner)
    token = await console_login(console, email, password)
    refused = await console.post(f"/console/premises/{premise}/clients",
                                 data={"client_id": tenant, "role": "tenant", "rent_day": "5", "csrf_token": token})
    assert refused.status_code == 400 and 'class="error"' in refused.text  # a tenant names the owner
    for data in ({"client_id": owner, "role": "owner"},
                 {"client_id": tenant, "role": "tenant", "rent_day": "5", "depends_on_client_id": owner}):
        done = await console.post(f"/console/premises/{premise}/clients", data={**data, "csrf_token": token})
        assert done.status_code == 303 and done.headers["location"].endswith("?linked=1")
    card = await console.get(f"/console/premises/{premise}")
    assert "Смирнова Ольга" in card.text and "Кузнецов Игорь" in card.text and "Арендатор" in card.text
    gone = await console.post(f"/console/premises/{premise}/clients/{owner}/remove", data={"csrf_token": token})
    assert gone.status_code == 303
    left = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)["clients"]
    assert left == []  # the tenant depended on the owner


async def test_ending_a_session_from_the_client_card_logs_the_device_out(http, console):
    """Rule: PUSH-03"""
    from tests.support import login_resident

    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    premise = await make_premise(http, staff, await make_object(http, staff))
    client = await make_client(http, staff, phone="+79165550707")
    await link(http, staff, premise, client)
    session = await login_resident(http, "+79165550707")
    resident = {"Authorization": f"Bearer {session['access_token']}"}
    assert (await http.get("/app/v1/screens/profile", headers=resident)).status_code == 200
    email, password, _ = await make_staff(http, partner)
    token = await console_login(console, email, password)
    card = await console.get(f"/console/clients/{client}")
    assert f"/console/sessions/{session['session_id']}/deactivate" in card.text and "Pixel" in card.text
    ended = await console.post(f"/console/sessions/{session['session_id']}/deactivate",
                               data={"client_id": client, "csrf_token": token})
    assert ended.status_code == 303 and ended.headers["location"].endswith("?ended=1")
    assert (await http.get("/app/v1/screens/profile", headers=resident)).status_code == 401
    after = await console.get(f"/console/clients/{client}?ended=1")
    assert "Сессия завершена" in after.text and "Активных сессий нет" in after.text


# --- orders, mailings and import jobs --------------------------------------------------------

def _next_url(page) -> str | None:
    import html

    found = re.search(r'<a href="([^"]+)" id="next-page"', page.text)
    return html.unescape(found.group(1)) if found else None


async def test_orders_inbox_lists_masks_and_pages_with_its_filters(http, console, monkeypatch, clock):
    """Rule: APP-ORD-02, STAFF-02 — the console's inbox is the API's: the same rows, the client's
    name and phone masked for staff without PII rights, the unseen marker until a staff member
    opens the order, sealed cursors that keep the filters."""
    from tests.bff.screens.world import app_login, client_in, give_premise, make_partner
    from tests.crm.estate import next_phone

    monkeypatch.setattr("console.controller.PAGE_SIZE", 2)
    phone = next_phone()
    world = await make_partner(http, f"console-{uuid.uuid4().hex[:8]}")
    premise = await give_premise(http, world, phone, "7")
    client = await client_in(http, world, phone, last_name="Смирнова")
    resident = await app_login(http, phone)
    from_app = []
    for title in ("Протекает кран", "Не горит свет", "Сломан домофон"):
        clock.advance(minutes=1)  # the inbox shows the latest change first
        from_app.append(expect(await http.post("/app/v1/orders", headers=resident, json={
            "premise_id": premise, "title": title}), 201))
    by_staff = expect(await http.post("/crm/v1/orders", headers=world.staff, json={
        "kind": "requests", "premise_id": premise, "client_id": client, "title": "Уборка подъезда",
        "status": "waiting"}), 201)
    expect(await http.post("/crm/v1/orders", headers=world.staff, json={
        "kind": "events", "premise_id": premise, "client_id": client, "title": "Субботник", "status": "planned"}), 201)
    email, password, _ = await make_staff(http, world.id, ["premises.edit", "clients.edit"])
    await console_login(console, email, password)
    masked = expect(await http.get("/crm/v1/orders", headers=await _no_pii(http, world.id),
                                   params={"kind": "requests", "unseen": "true"}), 200)["items"]
    assert {o["id"] for o in masked} == {o["id"] for o in from_app}

    first = await console.get("/console/orders", params={"kind": "requests", "unseen": "1"})
    assert first.status_code == 200 and 'href="/console/orders" aria-current="page"' in first.text
    next_url = _next_url(first)
    assert next_url and "kind=requests" in next_url and "unseen=1" in next_url and "cursor=" in next_url
    second = await console.get(next_url)
    assert _next_url(second) is None
    listed = re.findall(r'href="/console/orders/([0-9a-f-]+)"', first.text + second.text)
    assert listed == [o["id"] for o in masked] == [o["id"] for o in from_app[::-1]]
    both = first.text + second.text
    assert "Субботник" not in both and "Уборка подъезда" not in both and "Сломан домофон" in first.text
    assert both.count('class="badge">новое') == 3 and "ул. Ленина, д. 5, кв. 7" in first.text
    for page in (first, second):
        assert "Смирнова" not in page.text and "Анна" not in page.text
        assert phone[-7:] not in re.sub(r"\D", "", page.text)
        assert masked[0]["client_name"] in page.text and masked[0]["client_phone"] in page.text

    everything = await console.get("/console/orders", params={"kind": "requests", "q": "Уборка"})
    assert by_staff["id"] in everything.text
    opened = await console.get(f"/console/orders/{from_app[0]['id']}")
    assert opened.status_code == 200 and "Протекает кран" in opened.text and "Смирнова" not in opened.text
    unseen = await console.get("/console/orders", params={"unseen": "1"})
    shown = re.findall(r'href="/console/orders/([0-9a-f-]+)"', unseen.text)
    assert from_app[0]["id"] not in shown and from_app[1]["id"] in shown
    none = await console.get("/console/orders", params={"q": "Нет такого заказа"})
    assert "Заказы не найдены" in none.text


async def test_changing_an_order_in_the_console_needs_the_csrf_token_and_pushes_to_the_resident(http, console, db):
    """Rule: APP-ORD-02 — a status change and a staff comment through the API's service; the form
    without its CSRF token is refused and changes nothing."""
    from sqlalchemy import select

    from core.models import PushMessage
    from tests.support import login_resident

    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    premise = await make_premise(http, staff, await make_object(http, staff))
    client = await make_client(http, staff, phone="+79165550808")
    await link(http, staff, premise, client)
    resident = await login_resident(http, "+79165550808")
    order = expect(await http.post("/crm/v1/orders", headers=staff, json={
        "kind": "requests", "premise_id": premise, "client_id": client, "title": "Протекает кран",
        "status": "waiting"}), 201)
    email, password, _ = await make_staff(http, partner)
    token = await console_login(console, email, password)
    page = await console.get(f"/console/orders/{order['id']}")
    assert f'action="/console/orders/{order["id"]}"' in page.text and 'value="in_progress"' in page.text
    change = {"status": "in_progress", "staff_comment": "Мастер придёт завтра"}
    refused = await console.post(f"/console/orders/{order['id']}", data=change)
    assert refused.status_code == 403 and "Запрос отклонён" in refused.text
    assert expect(await http.get(f"/crm/v1/orders/{order['id']}", headers=staff), 200)["status"] == "waiting"

    async def pushes():
        return (await db.scalars(select(PushMessage.body).where(PushMessage.partner_id == uuid.UUID(partner)))).all()

    assert await pushes() == []
    wrong = await console.post(f"/console/orders/{order['id']}", data={"status": "planned", "csrf_token": token})
    assert wrong.status_code == 400 and 'class="error"' in wrong.text  # an event's status, not a request's
    saved = await console.post(f"/console/orders/{order['id']}", data={**change, "csrf_token": token})
    assert saved.status_code == 303 and saved.headers["location"].endswith("?saved=1")
    card = expect(await http.get(f"/crm/v1/orders/{order['id']}", headers=staff), 200)
    assert card["status"] == "in_progress" and card["staff_comment"] == "Мастер придёт завтра"
    bodies = await pushes()
    assert len(bodies) == 1 and "Мастер придёт завтра" in bodies[0]
    assert resident["account_id"]
    after = await console.get(saved.headers["location"])
    assert "Изменения сохранены" in after.text and "В работе" in after.text
    clerk_email, clerk_password, _ = await make_staff(http, partner, ["premises.edit"])
    clerk_token = await console_login(console, clerk_email, clerk_password)
    denied = await console.post(f"/console/orders/{order['id']}", data={"status": "done", "csrf_token": clerk_token})
    assert denied.status_code == 403 and "clients.edit" in denied.text


async def test_mailings_page_lists_the_partners_mailings_with_counts_and_pages(http, console, monkeypatch, clock):
    """Rule: PUSH-06, STAFF-02 — the list of `GET /crm/v1/mailings` under the compose form, each
    mailing with its recipients counted by status as its card counts them."""
    monkeypatch.setattr("console.controller.PAGE_SIZE", 2)
    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    for phone in ("+79161110001", "+79161110002"):
        await make_client(http, staff, last_name="Смирнова", first_name="Ольга", phone=phone)
    created = []
    for title in ("Отключение воды", "Проверка газа", "Собрание жильцов"):
        clock.advance(minutes=1)  # newest first
        created.append(expect(await http.post("/crm/v1/mailings", headers=staff, json={
            "channel": "push", "title": title, "body": "Подробности в приложении", "filter": {}}), 201)["id"])
    other = await staff_headers(http, await create_partner(http, name="УК Чужая"))
    expect(await http.post("/crm/v1/mailings", headers=other, json={
        "channel": "push", "title": "Чужая рассылка", "body": "Т", "filter": {}}), 201)
    email, password, _ = await make_staff(http, partner, ["mailings.send"])
    await console_login(console, email, password)
    empty_search = await console.get("/console/mailings", params={"q": "нет такой"})
    assert "Рассылки не найдены" in empty_search.text
    first = await console.get("/console/mailings", params={"channel": "push"})
    assert first.status_code == 200 and "Новая рассылка" in first.text
    next_url = _next_url(first)
    assert next_url and "channel=push" in next_url
    second = await console.get(next_url)
    assert _next_url(second) is None
    both = first.text + second.text
    listed = re.findall(r'href="/console/mailings/([0-9a-f-]+)" class="mailing-title"', both)
    assert listed == created[::-1] and "Чужая рассылка" not in both
    card = expect(await http.get(f"/crm/v1/mailings/{created[0]}", headers=staff), 200)
    assert card["pending"] == 2
    assert re.findall(r'<td class="pending">(\d+)</td>', both) == [str(card["pending"])] * 3
    assert "Смирнова" not in both


async def test_import_page_lists_the_partners_jobs_with_progress_and_pages(http, console, monkeypatch, clock):
    """Rule: IMPORT-08 — the jobs of `GET /crm/v1/import/jobs` under the upload form, newest first,
    with status, rows and counts; the filters stay in the pages' addresses."""
    from core.imports import formats

    monkeypatch.setattr("console.controller.PAGE_SIZE", 2)
    partner = await create_partner(http)
    staff = await staff_headers(http, partner)
    jobs = []
    for n in range(3):
        clock.advance(minutes=1)  # newest first
        jobs.append(expect(await http.post("/crm/v1/import/clients/file", headers=staff, files={
            "file": (f"clients-{n}.xlsx", formats.template("clients"), "application/octet-stream")}), 202)["id"])
    other = await staff_headers(http, await create_partner(http, name="УК Чужая"))
    expect(await http.post("/crm/v1/import/premises/file", headers=other, files={
        "file": ("foreign.xlsx", formats.template("premises"), "application/octet-stream")}), 202)
    email, password, _ = await make_staff(http, partner, ["clients.edit"])
    await console_login(console, email, password)
    assert "Таких загрузок нет" in (await console.get("/console/import", params={"kind": "premises"})).text
    first = await console.get("/console/import", params={"kind": "clients"})
    assert first.status_code == 200 and "Импорт из Excel" in first.text
    next_url = _next_url(first)
    assert next_url and "kind=clients" in next_url
    second = await console.get(next_url)
    assert _next_url(second) is None
    both = first.text + second.text
    assert re.findall(r'href="/console/import/jobs/([0-9a-f-]+)" class="job-file"', both) == jobs[::-1]
    assert "clients-2.xlsx" in first.text and "foreign.xlsx" not in both and "В очереди" in first.text
    api = expect(await http.get("/crm/v1/import/jobs", headers=staff), 200)["items"]
    assert [j["id"] for j in api] == jobs[::-1] and api[0]["status"] == "pending"
