"""The problem codes in the OpenAPI document: each operation lists, per refusal status, the codes
it may answer (API.md "Conventions", Errors), and an answer with a code its operation does not
list is caught (tests/conftest.py holds every answer of the suite to it)."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar, get

from core.errors import (
    Common,
    Conflict,
    ErrorCode,
    NotFound,
    PermissionDenied,
    RuleViolation,
    error_codes,
)
from server.routes import route_handlers
from web.openapi import declare_problems
from web.problems import (
    DECLARED,
    EXCEPTION_HANDLERS,
    UNDECLARED,
    HttpCode,
    problems,
    status_of_code,
)

route_handlers()  # every area's table is imported with its routes


def _enum(document: dict, path: str, method: str, status: str) -> list[str]:
    ref = document["paths"][path][method]["responses"][status]["content"]["application/problem+json"]["schema"]
    return document["components"]["schemas"][ref["$ref"].rsplit("/", 1)[-1]]["properties"]["code"]["enum"]


async def test_an_answer_with_a_code_the_operation_does_not_declare_is_caught():
    """The check can fail: a route declaring only `not_found` that answers `conflict` is reported,
    while its declared refusal is not."""

    @get("/declared", operation_id="AnswersDeclared", responses=problems(Common.NOT_FOUND), sync_to_thread=False)
    def declared() -> None:
        raise NotFound("Нет такого")

    @get("/undeclared", operation_id="AnswersUndeclared", responses=problems(Common.NOT_FOUND), sync_to_thread=False)
    def undeclared() -> None:
        raise Conflict("Не объявлен")

    app = Litestar(route_handlers=[declared, undeclared], exception_handlers=EXCEPTION_HANDLERS)
    declare_problems(app)
    app.state[DECLARED] = True
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        assert (await client.get("/declared")).json()["code"] == "not_found"
        assert UNDECLARED == []
        assert (await client.get("/undeclared")).status_code == 409
    caught, UNDECLARED[:] = list(UNDECLARED), []
    assert len(caught) == 1 and caught[0].startswith("AnswersUndeclared answered 409 'conflict'")
    document = app.openapi_schema.to_schema()
    assert _enum(document, "/undeclared", "get", "404") == ["not_found"]
    assert "409" not in document["paths"]["/undeclared"]["get"]["responses"]


async def test_each_operation_lists_its_codes_per_status(http):
    """What a client reads from the document: the domain codes of a route at their statuses, its
    guard's and its permission's refusals, body refusals only where there is a body, and every
    listed code at the one status its table gives it."""
    document = (await http.get("/schema/openapi.json")).json()
    assert {"phone_taken", "external_id_taken"} <= set(_enum(document, "/crm/v1/clients", "post", "409"))
    assert "permission_required" in _enum(document, "/crm/v1/clients", "post", "403")
    assert {"idempotency_key_reused"} <= set(_enum(document, "/crm/v1/clients", "post", "422"))
    assert {"invalid_token", "invalid_api_key", "staff_inactive", "not_authenticated"} <= set(
        _enum(document, "/crm/v1/clients", "post", "401"))
    assert {"invalid_credentials"} <= set(_enum(document, "/crm/v1/auth/login", "post", "401"))
    assert {"otp_too_soon", "otp_phone_limited", "otp_ip_limited"} <= set(
        _enum(document, "/app/v1/auth/otp", "post", "429"))
    assert {"session_inactive", "app_requests_limited"} <= {
        *_enum(document, "/app/v1/screens/profile", "get", "401"), *_enum(document, "/app/v1/screens/profile", "get", "429")}
    assert "malformed_json" not in _enum(document, "/crm/v1/clients", "get", "400")
    assert "idempotency_key_reused" not in str(document["paths"]["/crm/v1/clients"]["get"]["responses"])
    known = {str(code): code for code in [*error_codes(), *HttpCode]}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, answer in operation["responses"].items():
                if "application/problem+json" not in answer.get("content", {}):
                    continue
                codes = _enum(document, path, method, status)
                assert codes, (path, method, status)
                for code in codes:
                    assert status_of_code(known[code]) == int(status), (path, method, status, code)


async def test_every_route_the_app_serves_declares_its_problem_codes(app):
    """Every operation of the document carries its declared codes, which the answers are held to."""
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if handler.resolve_include_in_schema():
                assert DECLARED in handler.opt, route.path


def test_each_code_is_declared_once_in_one_table():
    """Codes live in per-area tables: no code is declared by two tables (the web layer's own included)."""
    values = [str(code) for code in [*error_codes(), *HttpCode]]
    assert len(values) == len(set(values))
    tables = {type(code).__name__ for code in error_codes()}
    assert {"Common", "AuthCode", "PartnerCode", "ClientCode", "PeopleCode", "IdempotencyCode"} <= tables


@pytest.mark.parametrize("code", ["phone_taken", Common.NOT_FOUND])
def test_an_error_raised_with_a_bare_string_or_another_kinds_code_is_refused(code):
    """A code is one of an area's table, carried by its own kind of error: a bare string, or a
    404 code on a 422 error, cannot be raised (and so cannot leave undeclared)."""
    with pytest.raises(TypeError):
        RuleViolation("Отказ", code=code)


def test_a_code_carried_by_its_own_kind_is_accepted():
    error = PermissionDenied.lacking("clients.edit")
    assert error.code == "permission_required" and isinstance(error.code, ErrorCode)
