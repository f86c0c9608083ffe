"""The staff console in a real headless Chromium: a staff member's working day (find a client by
a phone typed as `8 (9xx) …`, open the card, link them to a premise, import an Excel file and
watch it finish with a row error, approve a registration request, send a push mailing and see
its outcomes, read the monitor chart), a staff member without personal-data rights who sees
names and phones masked on every page, and the platform admin adding a staff member and an API
key and revoking it."""

from __future__ import annotations

import io
import re
import tempfile
import uuid
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.support import ADMIN, ALL_PERMISSIONS, device

pytestmark = pytest.mark.committed
PASSWORD = "correct horse battery"


def ok(response, status: int = 200) -> dict:
    assert response.status_code == status, (response.status_code, response.text)
    return response.json() if response.content else {}


def make_partner(api, permissions=None, email="dispatcher@example.com") -> dict:
    partner = ok(api.post("/crm/v1/partners", headers=ADMIN, json={
        "name": "УК Комфорт", "kind": "management", "products": ["requests"]}), 201)["id"]
    role = ok(api.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN, json={
        "name": "Диспетчер", "permissions": ALL_PERMISSIONS}), 201)["id"]
    ok(api.post(f"/crm/v1/partners/{partner}/staff", headers=ADMIN, json={
        "email": "boss@example.com", "password": PASSWORD, "name": "Анна Админова", "role_id": role}), 201)
    token = ok(api.post("/crm/v1/auth/login", json={"email": "boss@example.com", "password": PASSWORD}))["access_token"]
    if permissions is not None:
        role = ok(api.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN, json={
            "name": "Без ПДн", "permissions": permissions}), 201)["id"]
    ok(api.post(f"/crm/v1/partners/{partner}/staff", headers=ADMIN, json={
        "email": email, "password": PASSWORD, "name": "Мария Соколова", "role_id": role}), 201)
    return {"id": partner, "staff": {"Authorization": f"Bearer {token}"}}


def resident(api, phone: str, **device_extra) -> dict:
    code = ok(api.post("/app/v1/auth/otp", json={"phone": phone}))["debug_code"]
    session = ok(api.post("/app/v1/auth/login", json={"phone": phone, "code": code,
                                                       "device": device("domiland", **device_extra)}))
    headers = {"Authorization": f"Bearer {session['access_token']}"}
    ok(api.put("/app/v1/device", headers=headers, json={"fcm_token": f"fcm-{phone}", "os_notifications_enabled": True}))
    return headers


def estate(api, staff) -> dict:
    obj = ok(api.post("/crm/v1/objects", headers=staff, json={"name": "ЖК Солнечный",
                                                              "address": "г. Москва, ул. Ленина, 5"}), 201)["id"]
    premises = {n: ok(api.post("/crm/v1/premises", headers=staff, json={
        "object_id": obj, "type": "apartment", "street": "Ленина", "house": "5", "number": n, "total_area": 54.5}),
        201)["id"] for n in ("12", "14")}
    client = ok(api.post("/crm/v1/clients", headers=staff, json={
        "last_name": "Петров", "first_name": "Сергей", "phone": "+79165551234"}), 201)["id"]
    return {"object": obj, "premises": premises, "client": client}


def log_in(driver, url: str, email: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{url}/console/")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(PASSWORD)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 30).until(EC.url_contains("/console/premises"))


def follow(driver, locator) -> None:
    """Click what navigates to another page and wait until the page it was on is gone, so the next
    look-up cannot find an element of the old page while the new one loads."""
    page = driver.find_element(By.TAG_NAME, "html")
    driver.find_element(*locator).click()
    WebDriverWait(driver, 30).until(EC.staleness_of(page))


def wait_text(driver, locator, text: str, seconds: float = 30) -> None:
    WebDriverWait(driver, seconds).until(EC.text_to_be_present_in_element(locator, text))


def client_xlsx(api, staff) -> Path:
    template = api.get("/crm/v1/import/clients/template", headers=staff)
    titles = [c.value for c in load_workbook(io.BytesIO(template.content)).worksheets[0][1]]
    book = Workbook()
    sheet = book.active
    sheet.append(titles)
    plain = [t.replace(" *", "") for t in titles]
    for row in ({"Внешний ID клиента": "1C-001", "Телефон": "8 (916) 700-00-01", "Фамилия": "Орлова", "Имя": "Вера"},
                {"Внешний ID клиента": "1C-002", "Телефон": "не телефон", "Фамилия": "Зайцев", "Имя": "Павел"}):
        sheet.append([row.get(t) for t in plain])
    path = Path(tempfile.mkdtemp()) / "clients.xlsx"
    book.save(path)
    return path


def test_a_staff_members_day_in_the_console(live_server, browser):
    """Rule: CRM-CLI-01, CRM-LINK-01, IMPORT-08, STAFF-05, PUSH-06, PUSH-07"""
    api, url, driver = live_server.api, live_server.url, browser
    partner = make_partner(api)
    staff = partner["staff"]
    world = estate(api, staff)
    applicant = resident(api, "+79167770077")
    ok(api.post("/app/v1/premise-requests", headers=applicant, json={
        "object_id": world["object"], "address": "ул. Ленина, 5", "number": "14", "role": "owner"}), 201)

    log_in(driver, url, "dispatcher@example.com")
    assert "Ленина" in driver.find_element(By.ID, "premises").text

    # Find the client by a phone typed the Russian way, open the card.
    driver.get(f"{url}/console/clients")
    driver.find_element(By.ID, "q").send_keys("8 (916) 555-12-34")
    driver.find_element(By.ID, "client-search").click()
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.ID, "clients")))
    driver.find_element(By.LINK_TEXT, "Петров Сергей").click()
    wait_text(driver, (By.ID, "client-name"), "Петров Сергей")
    assert driver.find_element(By.ID, "client-phone").text == "+79165551234"

    # Link them to premise 12 as its owner.
    driver.find_element(By.ID, "premise_q").send_keys("Ленина 5 12")
    driver.find_element(By.ID, "premise-search").click()
    WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.CLASS_NAME, "link-submit")))
    driver.find_element(By.CLASS_NAME, "link-submit").click()
    wait_text(driver, (By.CSS_SELECTOR, ".success"), "Клиент привязан")
    assert "Собственник" in driver.find_element(By.ID, "client-premises").text
    card = ok(api.get(f"/crm/v1/premises/{world['premises']['12']}", headers=staff))
    assert [(c["client_id"], c["role"]) for c in card["clients"]] == [(world["client"], "owner")]

    # Upload an Excel file and watch it finish with its row error.
    driver.get(f"{url}/console/import")
    driver.find_element(By.ID, "kind-clients").click()
    driver.find_element(By.ID, "file").send_keys(str(client_xlsx(api, staff)))
    driver.find_element(By.ID, "upload").click()
    wait_text(driver, (By.ID, "job-status"), "Завершён")
    assert driver.find_element(By.ID, "job-created").text == "1"
    assert driver.find_element(By.ID, "job-errors").text == "1"
    errors = driver.find_element(By.ID, "row-errors").text
    assert "3" in errors.split("\n")[1].split()[0] and "Телефон" in errors

    # Approve the registration request for premise 14.
    driver.get(f"{url}/console/registration-requests")
    assert "+79167770077" in driver.find_element(By.ID, "requests").text
    driver.find_element(By.CSS_SELECTOR, "button.approve").click()
    wait_text(driver, (By.CSS_SELECTOR, ".success"), "Заявка одобрена")
    card = ok(api.get(f"/crm/v1/premises/{world['premises']['14']}", headers=staff))
    assert [c["phone"] for c in card["clients"]] == ["+79167770077"]

    # A push mailing to owners; its outcomes per recipient.
    driver.get(f"{url}/console/mailings")
    driver.find_element(By.ID, "title").send_keys("Отключение воды")
    driver.find_element(By.ID, "body").send_keys("Завтра с 10:00 до 14:00 не будет горячей воды.")
    driver.find_element(By.CSS_SELECTOR, "input[name=roles][value=owner]").click()
    driver.find_element(By.ID, "send-mailing").click()
    WebDriverWait(driver, 5).until(EC.alert_is_present()).accept()
    wait_text(driver, (By.ID, "recipients"), "2")
    wait_text(driver, (By.CSS_SELECTOR, "#outcomes [data-outcome=sent]"), "1")
    assert "Нет приложения" in driver.find_element(By.ID, "outcomes").text

    # The monitor: one active user with push enabled today, drawn as SVG bars.
    driver.get(f"{url}/console/monitor")
    bars = driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar.active_users")
    assert bars and max(int(b.get_attribute("data-value")) for b in bars) == 1
    enabled = driver.find_elements(By.CSS_SELECTOR, "svg.chart rect.bar.push_enabled_users")
    assert max(int(b.get_attribute("data-value")) for b in enabled) == 1
    assert driver.find_element(By.ID, "opt-outs-total").text == "0"
    assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"], "console errors (CSP?)"


def test_without_pii_rights_names_and_phones_are_masked_everywhere(live_server, browser):
    """Rule: STAFF-02"""
    api, url, driver = live_server.api, live_server.url, browser
    partner = make_partner(api, permissions=["premises.edit", "clients.activity", "sessions.manage",
                                             "reports.registration_requests"], email="nopii@example.com")
    staff = partner["staff"]
    world = estate(api, staff)
    ok(api.post(f"/crm/v1/premises/{world['premises']['12']}/clients", headers=staff,
                json={"client_id": world["client"], "role": "owner"}), 201)
    applicant = resident(api, "+79167770088")
    ok(api.post("/app/v1/premise-requests", headers=applicant, json={
        "object_id": world["object"], "address": "ул. Ленина, 5", "number": "14", "role": "owner"}), 201)

    log_in(driver, url, "nopii@example.com")
    pages = ["/console/premises", f"/console/premises/{world['premises']['12']}",
             f"/console/premises/{world['premises']['12']}?client_q=Петров", "/console/clients?q=Петров",
             f"/console/clients/{world['client']}", "/console/registration-requests"]
    for page in pages:
        driver.get(url + page)
        text = driver.find_element(By.TAG_NAME, "main").text
        text = text.replace("Петров", "", 1) if "q=Петров" in page else text  # the search box
        assert "Петров" not in text and "Сергей" not in text, page
        digits = re.sub(r"\D", "", text)
        assert "9165551234" not in digits and "9167770088" not in digits, page
    driver.get(f"{url}/console/clients/{world['client']}")
    assert set(driver.find_element(By.ID, "client-name").text) == {"*", " "}
    assert set(driver.find_element(By.ID, "client-phone").text) == {"*"}


def test_the_platform_admin_adds_a_staff_member_and_an_api_key_and_revokes_it(live_server, browser):
    """Rule: STAFF-04 — the admin pages in the browser: the key is shown once, and revoked it is refused."""
    from tests.conftest import ADMIN_TOKEN

    api, url, driver = live_server.api, live_server.url, browser
    name = f"УК Браузер {uuid.uuid4().hex[:6]}"
    partner = ok(api.post("/crm/v1/partners", headers=ADMIN, json={
        "name": name, "kind": "management", "products": ["requests"]}), 201)["id"]
    ok(api.post(f"/crm/v1/partners/{partner}/roles", headers=ADMIN, json={
        "name": "Диспетчер", "permissions": ["premises.edit"]}), 201)
    driver.delete_all_cookies()
    driver.get(f"{url}/console/admin/login")
    driver.find_element(By.ID, "token").send_keys(ADMIN_TOKEN)
    driver.find_element(By.ID, "login-submit").click()
    WebDriverWait(driver, 30).until(EC.url_contains("/console/admin/partners"))
    driver.find_element(By.ID, "q").send_keys(name)
    follow(driver, (By.ID, "partner-search"))
    follow(driver, (By.LINK_TEXT, name))
    wait_text(driver, (By.ID, "partner-name"), name)

    # A staff member, who can then log in.
    follow(driver, (By.LINK_TEXT, "Сотрудники"))
    email = f"new{uuid.uuid4().hex[:8]}@example.com"
    driver.find_element(By.ID, "staff-name").send_keys("Пётр Новиков")
    driver.find_element(By.ID, "staff-email").send_keys(email)
    driver.find_element(By.ID, "staff-password").send_keys(PASSWORD)
    driver.find_element(By.ID, "create-staff").click()
    wait_text(driver, (By.CSS_SELECTOR, ".success"), "Сотрудник добавлен")
    assert "Пётр Новиков" in driver.find_element(By.ID, "staff").text
    token = ok(api.post("/crm/v1/auth/login", json={"email": email, "password": PASSWORD}))["access_token"]
    assert ok(api.get("/crm/v1/me", headers={"Authorization": f"Bearer {token}"}))["permissions"] == ["premises.edit"]

    # An API key: shown once, works, gone on reload; revoked, it is refused.
    follow(driver, (By.LINK_TEXT, "Ключи API"))
    driver.find_element(By.ID, "key-name").send_keys("Интеграция 1С")
    driver.find_element(By.ID, "create-api-key").click()
    key = WebDriverWait(driver, 30).until(EC.presence_of_element_located((By.ID, "new-api-key"))).get_attribute("value")
    assert key.startswith("pk_")
    assert ok(api.get("/crm/v1/me", headers={"Authorization": f"Bearer {key}"}))["actor_type"] == "api_key"
    driver.refresh()
    assert not driver.find_elements(By.ID, "new-api-key") and key not in driver.page_source
    driver.find_element(By.CSS_SELECTOR, "button.revoke").click()
    WebDriverWait(driver, 5).until(EC.alert_is_present()).accept()
    wait_text(driver, (By.CSS_SELECTOR, ".success"), "Ключ отозван")
    assert api.get("/crm/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 401
    assert not [e for e in driver.get_log("browser") if e["level"] == "SEVERE"], "console errors (CSP?)"
