"""A client generated from the served OpenAPI document by openapi-python-client imports cleanly and
works with its typed models: a resident logs in and reads the Profile screen, an integration
sends an import batch. What app developers and 1C integrators build on is the document itself."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.crm.estate import make_object, next_phone
from tests.support import api_key_headers, create_partner, staff_headers

PACKAGE = "resident_app_backend_client"


@pytest.fixture
async def generated(http, tmp_path, monkeypatch):
    """The client package generated from /schema/openapi.json, importable."""
    document = tmp_path / "openapi.json"
    document.write_bytes((await http.get("/schema/openapi.json")).content)
    bin_dir = Path(sys.executable).parent
    result = subprocess.run([str(bin_dir / "openapi-python-client"), "generate", "--path", str(document),
                             "--meta", "none", "--output-path", str(tmp_path / PACKAGE)],
                            capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"})
    assert result.returncode == 0, result.stdout + result.stderr
    # Only binary downloads (documents, Excel) are left out: the generator has no model for them.
    skipped = [line for line in result.stdout.splitlines() if line.startswith("WARNING parsing")]
    assert all(("/file" in line or "/export/" in line or "/template" in line) for line in skipped), skipped
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
        monkeypatch.delitem(sys.modules, name)
    return lambda module: importlib.import_module(f"{PACKAGE}.{module}")


async def test_a_generated_client_logs_in_reads_the_profile_and_sends_an_import(http, app, generated):
    """Rule: APP-PROFILE-01, IMPORT-04, IMPORT-07"""
    partner = await create_partner(http)
    object_id = await make_object(http, await staff_headers(http, partner))
    key = (await api_key_headers(http, partner))["Authorization"].removeprefix("Bearer ")
    client_module, models = generated("client"), generated("models")
    transport = {"transport": httpx.ASGITransport(app=app)}
    anonymous = client_module.Client(base_url="http://testserver", httpx_args=transport)

    phone = next_phone()
    otp = await generated("api.app_auth.request_otp").asyncio(client=anonymous,
                                                              body=models.RequestOtpRequest(phone=phone))
    assert isinstance(otp, models.OtpIssuedAnswer) and otp.debug_code
    tokens = await generated("api.app_auth.login").asyncio(client=anonymous, body=models.LoginRequest(
        phone=phone, code=otp.debug_code,
        device=models.DeviceDescription(app_id="domiland", platform=models.DeviceDescriptionPlatform.ANDROID)))
    assert isinstance(tokens, models.TokensAnswer)
    resident = client_module.AuthenticatedClient(base_url="http://testserver", token=tokens.access_token,
                                                 httpx_args=transport)
    profile = await generated("api.app_screens.get_profile_screen").asyncio(client=resident)
    assert isinstance(profile, models.ProfileScreen)
    assert profile.unread_notifications == 0 and profile.current_premise is None

    integration = client_module.AuthenticatedClient(base_url="http://testserver", token=key, httpx_args=transport)
    batch = models.ImportPremisesBody(items=[models.ImportPremiseItem(
        external_id="P-1", object_id=object_id, type_=models.ImportPremiseItemType.APARTMENT, street="Ленина",
        house="5", number="12", accounts=[models.AccountItem(external_id="LS-1", number="100200")],
        clients=[models.PremiseClientItem(external_id="C-1", phone=phone, last_name="Иванова", first_name="Анна",
                                          role=models.PremiseClientItemRole.OWNER)])])
    answer = await generated("api.crm_import.import_premises").asyncio(client=integration, body=batch)
    assert isinstance(answer, models.PremiseImportAnswer)
    assert [(r.status, r.clients[0].status) for r in answer.results] == [("created", "created")]
    profile = await generated("api.app_screens.get_profile_screen").asyncio(client=resident)
    assert profile.current_premise is not None  # the imported owner sees the premise
