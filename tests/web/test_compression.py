"""Answers compressed on the wire (server/app.py `compression_config`)."""

from __future__ import annotations

from tests.bff.screens.world import app_login, give_premise, make_partner, next_phone


async def test_large_answers_are_gzipped_for_callers_that_accept_it_and_files_are_not(http):
    """Rule: APP-PREM-01, CRM-PREM-01 — a JSON answer of 1 KB and more goes gzipped to a caller
    that sends `Accept-Encoding: gzip` and plain to one that does not; an Excel export does not."""
    phone = next_phone()
    partner = await make_partner(http, "gzip")
    await give_premise(http, partner, phone, "7")
    auth = await app_login(http, phone)
    for number in range(20):
        await give_premise(http, partner, next_phone(), str(100 + number))
    plain = await http.get("/crm/v1/premises", headers={**partner.staff, "Accept-Encoding": "identity"})
    zipped = await http.get("/crm/v1/premises", headers={**partner.staff, "Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers and len(plain.content) > 1024
    assert zipped.headers["content-encoding"] == "gzip" and zipped.json() == plain.json()
    assert int(zipped.headers["content-length"]) < len(plain.content) / 2
    small = await http.get("/app/v1/screens/header?screen=home", headers={**auth, "Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers
    export = await http.get("/crm/v1/export/premises", headers={**partner.staff, "Accept-Encoding": "gzip"})
    assert export.status_code == 200 and "content-encoding" not in export.headers
