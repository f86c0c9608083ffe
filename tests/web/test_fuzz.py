"""Schema fuzzing (issue 8): every operation of the served OpenAPI document, with a valid token of
each kind, never answers 5xx, always answers as documented, and every refusal is problem+json
with a `code` its operation lists for that status (API.md "Conventions", Errors).

`make test` runs a few examples per operation; `make fuzz` (FUZZ_EXAMPLES) runs many more."""

from __future__ import annotations

import msgspec
import pytest

from tests.support import login_resident
from tests.web.fuzz_support import admin_headers, build_world, load_schema, operations_of, run_fuzz, security_of

CRM_KINDS = ("staff_full", "staff_minimal", "api_key")


def _is_crm(operation) -> bool:
    return bool(security_of(operation) & {"StaffBearer", "ApiKeyBearer"})


def _is_app(operation) -> bool:
    return "ResidentBearer" in security_of(operation)


def _is_admin(operation) -> bool:
    return "AdminBearer" in security_of(operation)


def _is_public(operation) -> bool:
    return not security_of(operation)


def _assert_clean(outcome) -> None:
    print("\n" + outcome.summary())
    assert not outcome.findings, outcome.report()


@pytest.mark.parametrize("kind", CRM_KINDS)
async def test_crm_operations(http, kind):
    world = await build_world(http)
    schema = await load_schema(http)
    outcome = await run_fuzz(http, operations_of(schema, _is_crm), kind=kind, headers=dict(getattr(world, kind)),
                             ids=world.crm_ids)
    _assert_clean(outcome)


async def test_app_operations(http, runtime, clock):
    world = await build_world(http)
    schema = await load_schema(http)

    async def relogin() -> dict[str, str]:
        # After a logout (or a deleted session) the run goes on with a fresh session.
        clock.advance(seconds=runtime.settings.otp_resend_interval)
        tokens = await login_resident(http, world.resident_phone)
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    # Every request of the run falls in the test clock's same minute, and logouts call for fresh
    # logins: the abuse limits (tested on their own) would soon answer 429 to everything.
    settings = runtime.settings
    runtime.settings = msgspec.structs.replace(settings, app_requests_per_minute=0, otp_per_phone_hour=0,
                                               otp_per_ip_hour=0, login_per_phone_hour=0,
                                               login_per_ip_hour=0, sms_per_hour=0)
    try:
        outcome = await run_fuzz(http, operations_of(schema, _is_app), kind="resident", headers=dict(world.resident),
                                 ids=world.app_ids, refresh=relogin)
    finally:
        runtime.settings = settings
    _assert_clean(outcome)


async def test_admin_and_public_operations(http):
    world = await build_world(http)
    schema = await load_schema(http)
    outcome = await run_fuzz(http, operations_of(schema, _is_admin), kind="admin", headers=admin_headers(),
                             ids=world.admin_ids)
    public = await run_fuzz(http, operations_of(schema, _is_public), kind="public", headers={}, ids={})
    outcome.merge(public)
    _assert_clean(outcome)
