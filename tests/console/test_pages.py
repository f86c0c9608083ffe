"""The staff console over HTTP (httpx against the app): login into a cookie session, the CSRF
check on every POST, the security headers, and personal data masked exactly as the API masks it.
The browser itself is driven in test_browser.py."""

from __future__ import annotations

import re

import pytest

from tests.console.support import console_login, csrf_of, make_staff
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
                 {"client_id": client, "role": "owner", "csrf_token": "forged" + token[6:]}):
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
