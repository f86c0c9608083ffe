"""No phone, e-mail, code or token reaches the logs: the app's logging set-up redacts every record
(web.logs over core.infra.redaction), whatever logger made it and whatever handler writes it."""

from __future__ import annotations

import asyncio
import logging
import socket

import httpx
import pytest
import uvicorn
from sqlalchemy import text
from uvicorn.logging import AccessFormatter

import core.partners.service
from core.infra.redaction import API_KEY_PREFIX, REFRESH_TOKEN_PREFIX, redact
from core.infra.settings import Settings
from tests.support import api_key_headers, create_partner, login_resident
from server import cli
from web.logs import FORMAT, MESSAGE_LIMIT, install_redaction, uninstall_redaction

PHONE = "+79161234567"


@pytest.fixture
def redaction():
    install_redaction()
    yield
    uninstall_redaction()


def _written(caplog) -> str:
    """Every captured record as the app's format writes it, tracebacks included."""
    formatter = logging.Formatter(FORMAT)
    return "\n".join(formatter.format(record) for record in caplog.records) + "\n" + caplog.text


def _assert_clean(written: str, *secrets: str) -> None:
    for secret in ("9161234567", "916) 123", "916 123", *secrets):
        assert secret not in written, (secret, written)


async def test_an_unhandled_error_logs_no_phone_code_or_token(http, runtime, monkeypatch, caplog, redaction):
    """The SMS provider fails with text carrying the phone, the SMS (its code), the e-mail and the
    resident's tokens: the error is logged with its traceback, and none of them is in it."""
    tokens = await login_resident(http, "+79160000001")
    key = (await api_key_headers(http, await create_partner(http)))["Authorization"].removeprefix("Bearer ")
    sent: list[str] = []

    async def failing_gateway(db, phone, sms_text, *, secret=None):
        sent.append(sms_text)
        raise RuntimeError(f"gateway refused {{'phone': '{phone}', 'text': '{sms_text}'}} for ivan@mail.ru with "
                           f"Authorization: Bearer {tokens['access_token']}, refresh {tokens['refresh_token']}, "
                           f"key {key}")

    monkeypatch.setattr(runtime.sms, "send", failing_gateway)
    with caplog.at_level(logging.INFO):
        response = await http.post("/app/v1/auth/otp", json={"phone": "8 (916) 123-45-67"})
    assert response.status_code == 500
    written = _written(caplog)
    assert "unhandled error" in written and "Traceback" in written and "RuntimeError" in written
    assert "[phone]" in written and "[email]" in written and "[api-key]" in written
    code = sent[0].rsplit(" ", 1)[1]
    _assert_clean(written, sent[0], f": {code}", "ivan@mail.ru", tokens["access_token"], tokens["refresh_token"], key)


async def test_a_database_error_logs_no_statement_values(http, runtime, monkeypatch, caplog, redaction):
    """A failing statement's error text repeats its bound values (the phone, the SMS with its
    code): the log keeps the statement and drops the values."""
    sent: list[str] = []

    async def broken_recording(db, phone, sms_text, *, secret=None):
        sent.append(sms_text)
        await db.execute(text("INSERT INTO sms_log_that_does_not_exist (phone, text) VALUES (:phone, :text)"),
                         {"phone": phone, "text": sms_text})

    monkeypatch.setattr(runtime.sms, "send", broken_recording)
    with caplog.at_level(logging.INFO):
        response = await http.post("/app/v1/auth/otp", json={"phone": PHONE})
    assert response.status_code == 500
    written = _written(caplog)
    assert "sms_log_that_does_not_exist" in written and "[parameters: [redacted]]" in written
    _assert_clean(written, sent[0], PHONE)


async def test_uvicorn_access_lines_carry_no_query_values(app, caplog, redaction):
    """A real server's access log: phones, e-mails and tokens in query strings are redacted, and
    uvicorn's own access format still renders the line."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=True))
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(100):
            if server.started:
                break
            await asyncio.sleep(0.05)
        with caplog.at_level(logging.INFO, logger="uvicorn.access"):
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
                response = await client.get("/nowhere?q=%2B79161234567&to=8%20916%20123-45-67"
                                            "&mail=ivan%40mail.ru&access_token=abc.def.ghi")
                assert response.status_code == 404
            for _ in range(100):
                if any(r.name == "uvicorn.access" for r in caplog.records):
                    break
                await asyncio.sleep(0.02)
    finally:
        server.should_exit = True
        await serving
        sock.close()
    access = [r for r in caplog.records if r.name == "uvicorn.access"]
    assert access, "uvicorn wrote no access line"
    line = AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s').format(access[0])
    assert "GET /nowhere?q=[redacted]&to=[phone]&mail=[email]&access_token=[secret]" in line, line
    _assert_clean(_written(caplog) + line, "%2B7916", "ivan%40mail.ru", "abc.def.ghi")


async def test_the_prefixes_of_issued_secrets_are_the_redacted_ones(http):
    """Refresh tokens and API keys as the app issues them are recognised in any text."""
    assert core.partners.service.API_KEY_PREFIX == API_KEY_PREFIX
    tokens = await login_resident(http, PHONE)
    key = (await api_key_headers(http, await create_partner(http)))["Authorization"].removeprefix("Bearer ")
    assert tokens["refresh_token"].startswith(REFRESH_TOKEN_PREFIX)
    for secret in (tokens["access_token"], tokens["refresh_token"], key):
        assert secret not in redact(f"retrying with {secret}: failed")


@pytest.mark.no_db
def test_the_command_line_logging_set_up_redacts(caplog):
    """`bff serve`, `bff worker`, … set logging up through one function, and it redacts."""
    try:
        cli._logging(Settings(app_env="test"))
        with caplog.at_level(logging.INFO, logger="tests.logs"):
            logging.getLogger("tests.logs").info("OTP for %s is %s", PHONE, "code=1234")
    finally:
        uninstall_redaction()
    assert caplog.records[0].getMessage() == "OTP for [phone] is code=[secret]"
    record = logging.getLogger("tests.logs").makeRecord("tests.logs", logging.INFO, __file__, 1, PHONE, None, None)
    assert record.getMessage() == PHONE


async def test_json_log_lines_name_the_request_route_and_partner_and_stay_redacted(http, runtime, redaction):
    """LOG_FORMAT=json: one JSON object a line with the request id (as the answer's X-Request-ID),
    the route template and, for staff and API keys, the partner; the message is redacted."""
    import io
    import json

    import redis.asyncio as aioredis

    from web.logs import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    partner = await create_partner(http)
    key = await api_key_headers(http, partner)
    token = (await login_resident(http, PHONE))["access_token"]
    plain, runtime.redis = runtime.redis, aioredis.Redis(port=1, socket_connect_timeout=0.2)  # nothing listens
    try:
        resident = await http.get("/app/v1/screens/profile", headers={"Authorization": f"Bearer {token}"})
        staff = await http.post("/crm/v1/notifications", headers=key, json={"client_id": PHONE})
        logging.getLogger("tests.logs").warning("outside any request, about %s", PHONE)
    finally:
        await runtime.redis.aclose()
        runtime.redis = plain
        root.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert PHONE not in stream.getvalue() and "9161234567" not in stream.getvalue()
    by_request = {line.get("request_id"): line for line in lines}
    assert resident.status_code == 200  # answered from PostgreSQL, Redis being away
    logged = by_request[resident.headers["x-request-id"]]
    assert (logged["level"], logged["route"]) == ("WARNING", "GET /app/v1/screens/profile")
    assert "partner_id" not in logged and "Redis is unavailable" in logged["message"]
    assert staff.status_code == 400  # no Redis needed to refuse a malformed body
    outside = [line for line in lines if line["logger"] == "tests.logs"]
    assert outside == [{**outside[0], "message": "outside any request, about [phone]"}]
    assert "request_id" not in outside[0] and outside[0]["time"].endswith("+00:00")


def test_json_log_lines_carry_the_partner_of_the_request(redaction):
    import json

    from web.logs import JsonFormatter, request_scope

    scope = {"type": "http", "method": "POST", "path_template": "/crm/v1/orders", "headers": [],
             "state": {"partner_id": "5f0c…", "request_id": "r-1"}}
    token = request_scope.set(scope)
    try:
        record = logging.getLogger("tests.logs").makeRecord("tests.logs", logging.INFO, __file__, 1,
                                                            "created for %s", (PHONE,), None)
    finally:
        request_scope.reset(token)
    token = request_scope.set(scope)
    try:
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_scope.reset(token)
    assert line | {"time": None} == {"time": None, "level": "INFO", "logger": "tests.logs", "request_id": "r-1",
                                      "route": "POST /crm/v1/orders", "partner_id": "5f0c…",
                                      "message": "created for [phone]"}


def test_a_huge_message_is_cut_before_it_is_redacted(caplog, redaction):
    """A caller's 48 KB URL in an access line costs no more to redact than a few KB: the message
    is cut first, and neither the phone before the cut nor the one after it is written."""
    path = "/x?to=%2B79161234567&y=" + "%20" * 16_000 + "&z=+79161234567"
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET", path, "1.1", 200)
    message = caplog.records[-1].getMessage()
    assert message.startswith('127.0.0.1:5000 - "GET /x?to=[phone]&… [') and message.endswith("characters cut]")
    assert len(message) < MESSAGE_LIMIT + 100
    _assert_clean(_written(caplog))
