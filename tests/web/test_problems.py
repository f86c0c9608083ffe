"""Every error is application/problem+json with a stable code; no traceback or SQL leaks."""

from __future__ import annotations

import logging

import pytest

from tests.support import ADMIN


def assert_problem(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == status
    if code:
        assert body["code"] == code
    for leak in ("Traceback", "sqlalchemy", "asyncpg", "SELECT ", "INSERT "):
        assert leak not in response.text
    return body


async def test_malformed_json(http):
    response = await http.post("/crm/v1/partners", content=b'{"name": "x", ', headers={
        **ADMIN, "content-type": "application/json"})
    assert_problem(response, 400, "malformed_json")


async def test_wrong_type_names_the_field(http):
    body = assert_problem(await http.post("/crm/v1/partners", json={"name": 5, "kind": "management"},
                                          headers=ADMIN), 400, "validation_error")
    assert body["errors"] == [{"field": "name", "message": "Expected `str`, got `int`"}]


async def test_unknown_enum_value_names_the_field(http):
    body = assert_problem(await http.post("/crm/v1/partners", json={"name": "x", "kind": "bank"},
                                          headers=ADMIN), 400)
    assert body["errors"][0]["field"] == "kind"


async def test_unknown_fields_are_refused_where_they_matter(http):
    body = assert_problem(await http.post("/crm/v1/partners", json={"name": "x", "kind": "management", "admin": True},
                                          headers=ADMIN), 400)
    assert "admin" in body["detail"]


async def test_missing_field(http):
    body = assert_problem(await http.post("/crm/v1/partners", json={"kind": "management"}, headers=ADMIN), 400)
    assert body["errors"][0]["field"] == "name" or "name" in body["detail"]


async def test_over_long_string(http):
    assert_problem(await http.post("/crm/v1/partners", json={"name": "я" * 201, "kind": "management"},
                                   headers=ADMIN), 400)


async def test_unknown_route(http):
    assert_problem(await http.get("/no/such/route"), 404, "not_found")


async def test_wrong_method(http):
    assert_problem(await http.delete("/app/v1/auth/otp"), 405, "method_not_allowed")


async def test_bad_path_id(http):
    assert_problem(await http.patch("/crm/v1/partners/not-a-uuid", json={}, headers=ADMIN), 404)


async def test_unknown_partner_is_404(http):
    assert_problem(await http.patch("/crm/v1/partners/00000000-0000-0000-0000-000000000000", json={},
                                    headers=ADMIN), 404, "not_found")


async def test_oversized_body(http, app):
    too_big = b'{"phone": "' + b"1" * (app.request_max_body_size + 10) + b'"}'
    assert_problem(await http.post("/app/v1/auth/otp", content=too_big,
                                   headers={"content-type": "application/json"}), 413)


@pytest.mark.parametrize("phone", ["", "abc", "123", "+7 999", "+1 (000) 000-00-00"])
async def test_unparseable_phone_is_400_naming_the_field(http, phone):
    body = assert_problem(await http.post("/app/v1/auth/otp", json={"phone": phone}), 400)
    assert body["errors"][0]["field"] == "phone"


async def test_unexpected_error_is_500_with_request_id_logged(http, monkeypatch, caplog):
    import core.auth.service

    async def broken(*args, **kwargs):
        raise RuntimeError("secret internals: password=hunter2")

    monkeypatch.setattr(core.auth.service, "request_otp", broken)
    with caplog.at_level(logging.ERROR, logger="web.errors"):
        response = await http.post("/app/v1/auth/otp", json={"phone": "+79161234567"},
                                   headers={"X-Request-ID": "req-42"})
    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert response.headers["x-request-id"] == "req-42" and body["request_id"] == "req-42"
    assert any("req-42" in record.getMessage() and record.exc_info for record in caplog.records)


async def test_every_answer_carries_a_request_id(http):
    ok = await http.get("/health")
    missing = await http.get("/nowhere")
    assert ok.headers["x-request-id"] and missing.headers["x-request-id"]
    assert ok.headers["x-request-id"] != missing.headers["x-request-id"]
