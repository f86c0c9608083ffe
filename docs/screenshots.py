"""`make screenshots`: a PNG of each main page of the staff console with the demo data.

On loopback only: a fresh database on DATABASE_URL's server (the embedded PostgreSQL when unset,
dropped at the end), a redis-server of its own, the app served by uvicorn with the worker's jobs
in-process. It loads `bff demo-data`, adds what the demo lacks through the API (residents in the
app, a month of their visits, registration requests, an Excel import with a row error, a push
mailing, an API key), then logs in as the demo staff member in headless Chromium (Debian's
`chromium` and `chromium-driver`) at 1280 px, then as the platform admin, and saves the pages
into SCREENSHOTS_DIR (default `var/screenshots`).
"""

from __future__ import annotations

import asyncio
import io
import os
import random
import secrets
import shutil
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from pathlib import Path

import httpx
import msgspec
import uvicorn
from openpyxl import Workbook, load_workbook
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.infra.db import async_url  # noqa: E402
from core.demo import DEMO_PHONE, DEMO_STAFF_EMAIL, DEMO_STAFF_PASSWORD, load_demo_data  # noqa: E402
from core.infra.migrate import upgrade_async  # noqa: E402
from core.infra.runtime import database_url_of
from core.process import open_runtime  # noqa: E402
from core.infra.settings import load_settings  # noqa: E402
from server.app import create_app  # noqa: E402
from tests.servers import free_port, start_redis  # noqa: E402

PAGES = [
    ("premises", "/console/premises?q=Ленина"),
    ("premise", None),
    ("clients", "/console/clients?q=8%20(900)%20000-00-01"),
    ("client", None),
    ("import", None),
    ("registration-requests", "/console/registration-requests"),
    ("mailing-new", "/console/mailings"),
    ("mailing", None),
    ("monitor", "/console/monitor"),
]
# The platform admin's pages, logged in with the admin token; {partner} is the demo partner.
ADMIN_PAGES = [
    ("admin-partners", "/console/admin/partners"),
    ("admin-brands", "/console/admin/partners/{partner}/brands"),
    ("admin-roles", "/console/admin/partners/{partner}/roles"),
    ("admin-staff", "/console/admin/partners/{partner}/staff"),
    ("admin-api-keys", "/console/admin/partners/{partner}/api-keys"),
]


def ok(response: httpx.Response, status: int = 200) -> dict:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url.path}: {response.status_code} {response.text}")
    return response.json() if response.content else {}


def seed(api: httpx.Client, admin: dict) -> dict:
    """What the demo data lacks, through the API as an integration and residents would add it."""
    staff = {"Authorization": "Bearer " + ok(api.post("/crm/v1/auth/login", json={
        "email": DEMO_STAFF_EMAIL, "password": DEMO_STAFF_PASSWORD}))["access_token"]}
    clients = ok(api.get("/crm/v1/clients", headers=staff, params={"limit": 40}))["items"]
    premises = ok(api.get("/crm/v1/premises", headers=staff, params={"q": "Ленина", "limit": 5}))["items"]
    phones = [DEMO_PHONE] + [c["phone"] for c in clients[:11]]
    for n, phone in enumerate(phones):
        code = ok(api.post("/app/v1/auth/otp", json={"phone": phone}))["debug_code"]
        session = ok(api.post("/app/v1/auth/login", json={"phone": phone, "code": code, "device": {
            "app_id": "komfort", "platform": "android" if n % 2 else "ios", "model": "Pixel 8" if n % 2 else "iPhone 15",
            "name": "Телефон", "os_version": "14", "app_version": "4.8.0"}}))
        headers = {"Authorization": f"Bearer {session['access_token']}"}
        ok(api.put("/app/v1/device", headers=headers, json={"fcm_token": f"demo-fcm-{n}", "os_notifications_enabled": True}))
        if n in (3, 7):  # two residents turn push off: opt-outs on the monitor
            ok(api.put("/app/v1/device", headers=headers, json={"os_notifications_enabled": False}))
    object_id = premises[0]["object_id"]
    for n, (number, role) in enumerate((("98", "resident"), ("99", "tenant"))):
        phone = f"+7926555000{n}"
        code = ok(api.post("/app/v1/auth/otp", json={"phone": phone}))["debug_code"]
        session = ok(api.post("/app/v1/auth/login", json={"phone": phone, "code": code, "device": {
            "app_id": "domiland", "platform": "android", "app_version": "4.8.0"}}))
        ok(api.post("/app/v1/premise-requests", headers={"Authorization": f"Bearer {session['access_token']}"},
                    json={"object_id": object_id, "address": premises[0]["address"].rsplit(",", 1)[0],
                          "number": number, "role": role}), 201)
    mailing = ok(api.post("/crm/v1/mailings", headers=staff, json={
        "channel": "push", "title": "Плановое отключение горячей воды",
        "body": "12 декабря с 10:00 до 16:00 в домах на ул. Ленина не будет горячей воды.",
        "filter": {"roles": ["owner"]}}), 201)
    template = api.get("/crm/v1/import/clients/template", headers=staff)
    titles = [c.value for c in load_workbook(io.BytesIO(template.content)).worksheets[0][1]]
    book = Workbook()
    sheet = book.active
    sheet.append(titles)
    plain = [t.replace(" *", "") for t in titles]
    rows = [{"Внешний ID клиента": f"1C-{n:03d}", "Телефон": f"8 (916) 800-00-{n:02d}", "Фамилия": last, "Имя": first}
            for n, (last, first) in enumerate((("Орлова", "Вера"), ("Зайцев", "Павел"), ("Белова", "Дарья")), 1)]
    rows.insert(2, {"Внешний ID клиента": "1C-099", "Телефон": "не указан", "Фамилия": "Лебедев", "Имя": "Артём"})
    for row in rows:
        sheet.append([row.get(t) for t in plain])
    buffer = io.BytesIO()
    book.save(buffer)
    job = ok(api.post("/crm/v1/import/clients/file", headers=staff, files={"file": (
        "клиенты-декабрь.xlsx", buffer.getvalue(),
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}), 202)
    client = next(c for c in clients if c["premises"])
    partner = ok(api.get("/crm/v1/me", headers=staff))["partner_id"]
    ok(api.post(f"/crm/v1/partners/{partner}/api-keys", headers=admin, json={"name": "Интеграция 1С"}), 201)
    return {"premise": client["premises"][0]["premise_id"], "client": client["id"], "mailing": mailing["id"],
            "job": job["id"], "phones": phones, "partner": partner}


async def visit_history(settings, phones: list[str]) -> None:
    """A month of app visits of the residents (PUSH-07 counts them per day), written by the
    same function the app calls on each visit, with a fixed random pattern."""
    from core.models import Account
    from core.notifications.devices import record_visit

    rng = random.Random(7)
    rt = open_runtime(settings)
    try:
        async with rt.sessionmaker() as db:
            accounts = (await db.scalars(select(Account.id).where(Account.phone.in_(phones)))).all()
            today = datetime.now(timezone.utc).date()
            for days_ago in range(1, 30):
                day = datetime.combine(today - timedelta(days=days_ago), clock_time(12), timezone.utc)
                for account_id in accounts:
                    if rng.random() < 0.55:
                        await record_visit(db, account_id, "komfort", "4.8.0", day, push_enabled=rng.random() < 0.8)
            await db.commit()
    finally:
        await rt.close()


def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--hide-scrollbars", "--lang=ru-RU"):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=shutil.which("chromedriver")), options=options)


def logged_in(driver, landing: str) -> None:
    """Waits for the login form's redirect, so the next page is opened with the session."""
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, 30).until(expected_conditions.url_contains(landing))


def shoot(driver, url: str, path: Path) -> None:
    driver.get(url)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 700), 1000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 900)


def main() -> int:
    out = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "var" / "screenshots"))
    out.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="console-shots-"))
    plain = load_settings(app_env="test", var_dir=os.environ.get("VAR_DIR", str(ROOT / "var")))
    server_url = make_url(async_url(database_url_of(plain)))
    database = f"console_shots_{uuid.uuid4().hex[:8]}"
    redis_port = free_port()
    redis = start_redis(redis_port, str(workdir))
    admin_token = secrets.token_urlsafe(32)
    settings = msgspec.structs.replace(
        plain, database_url=server_url.set(database=database).render_as_string(hide_password=False),
        redis_url=f"redis://127.0.0.1:{redis_port}/0", platform_admin_token=admin_token, sms_provider="debug",
        worker_in_process=True, var_dir=str(workdir / "var"), otp_per_ip_hour=0)

    async def create() -> None:
        engine = create_async_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{database}"'))
        await engine.dispose()
        await upgrade_async(settings.database_url)
        rt = open_runtime(settings)
        try:
            await load_demo_data(rt)
        finally:
            await rt.close()

    async def drop() -> None:
        engine = create_async_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        await engine.dispose()

    server = driver = None
    try:
        asyncio.run(create())
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, lifespan="on",
                                               log_level="warning", access_log=False))
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=30) as api:
            world = seed(api, {"Authorization": f"Bearer {admin_token}"})
            asyncio.run(visit_history(settings, world["phones"]))
            time.sleep(4)  # the in-process worker runs the import and fans the mailing out
        driver = browser()
        driver.get(f"{base}/console/")
        driver.find_element("id", "email").send_keys(DEMO_STAFF_EMAIL)
        driver.find_element("id", "password").send_keys(DEMO_STAFF_PASSWORD)
        driver.find_element("id", "login-submit").click()
        logged_in(driver, "/console/premises")
        urls = {"premise": f"/console/premises/{world['premise']}", "client": f"/console/clients/{world['client']}",
                "import": f"/console/import/jobs/{world['job']}", "mailing": f"/console/mailings/{world['mailing']}"}
        for name, url in PAGES:
            shoot(driver, base + (url or urls[name]), out / f"{name}.png")
            print(out / f"{name}.png")
        driver.delete_all_cookies()
        driver.get(f"{base}/console/admin/login")
        driver.find_element("id", "token").send_keys(admin_token)
        driver.find_element("id", "login-submit").click()
        logged_in(driver, "/console/admin/partners")
        for name, url in ADMIN_PAGES:
            shoot(driver, base + url.format(partner=world["partner"]), out / f"{name}.png")
            print(out / f"{name}.png")
        return 0
    finally:
        if driver is not None:
            driver.quit()
        if server is not None:
            server.should_exit = True
            time.sleep(1)
        asyncio.run(drop())
        redis.kill()
        redis.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
