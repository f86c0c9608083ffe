"""The console's browser tests: the whole app served on 127.0.0.1 by uvicorn in a thread of its
own (its own event loop and runtime, the worker's jobs in-process, against this worker's test
database with data committed), and one headless Chromium per test module driven by Debian's
chromedriver through Selenium. Selenium Manager is never asked: the driver and the browser are
given by path, so nothing is downloaded. A machine without them fails these tests loudly."""

from __future__ import annotations

import dataclasses
import os
import shutil
import threading
import time
from collections.abc import Iterator

import httpx
import msgspec
import pytest
import uvicorn

from core.infra.settings import Settings
from server.app import create_app
from tests.servers import free_port

# Selenium is handed the driver by path below; offline, its Manager never looks anything up.
os.environ.setdefault("SE_OFFLINE", "true")


@dataclasses.dataclass
class LiveServer:
    url: str
    api: httpx.Client


@pytest.fixture(scope="module")
def live_server(base_settings: Settings, database: str) -> Iterator[LiveServer]:
    settings = msgspec.structs.replace(base_settings, worker_in_process=True)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, lifespan="on",
                                           access_log=False,
                                           # uvicorn's own logging set-up (its config, its levels)
                                           # would change its loggers for every later test.
                                           log_config=None, log_level=None))
    thread = threading.Thread(target=server.run, name="console live server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=30) as api:
        yield LiveServer(url, api)
    server.should_exit = True
    thread.join(timeout=20)


def _executable(name: str) -> str:
    found = shutil.which(name)
    if not found:
        pytest.fail(f"{name} is not installed: apt-get install -y chromium chromium-driver (.ci/run does it)")
    return found


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _executable("chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1280,900", "--lang=ru-RU", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    service = Service(executable_path=_executable("chromedriver"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()

