"""My Premise: APP-PREM-06."""

from __future__ import annotations

import pytest

from tests.bff.screens.world import app_login, expect, give_premise, make_partner, next_phone


async def test_app_prem_06_address_tech_insurance_documents(http):
    phone = next_phone()
    a = await make_partner(http, "pm-one")
    premise = await give_premise(http, a, phone, "12", object_extra={"postal_code": "420000"},
                                 total_area=54.3, living_area=32)
    expect(await http.post(f"/crm/v1/premises/{premise}/accounts", headers=a.staff, json={"number": "100-200"}), 201)
    expect(await http.post(f"/crm/v1/premises/{premise}/accounts", headers=a.staff,
                           json={"number": "SECRET", "hidden_in_app": True}), 201)
    for kind in ("cold_water", "hot_water"):
        expect(await http.post("/crm/v1/meters", headers=a.staff, json={"premise_id": premise, "kind": kind}), 201)
    files = {"file": ("plan.pdf", b"%PDF-1.4 plan", "application/pdf")}
    expect(await http.post(f"/crm/v1/premises/{premise}/documents", headers=a.staff, files=files,
                           data={"name": "План помещения"}), 201)
    expect(await http.post(f"/crm/v1/premises/{premise}/documents", headers=a.staff, files=files,
                           data={"name": "Внутренний акт", "is_public": "false"}), 201)
    auth = await app_login(http, phone)

    screen = expect(await http.get(f"/app/v1/screens/premises/{premise}", headers=auth), 200)
    assert screen["title"] == "Моя квартира"
    assert screen["address"] == {"full": "ул. Ленина, д. 5, кв. 12", "postal_code": "420000"}
    assert screen["tech"]["personal_accounts"] == [{"number": "100-200", "els": None, "legal_entity": None}]
    assert (screen["tech"]["total_area"], screen["tech"]["living_area"]) == ("54.30", "32.00")
    assert screen["tech"]["meters_count"] == 2
    assert screen["insurance"] is None  # nothing received through the API
    assert [d["name"] for d in screen["documents"]] == ["План помещения"]

    expect(await http.post("/crm/v1/insurance", headers=a.staff, json={
        "premise_id": premise, "policy_number": "П-1", "insurer": "СК Надёжная", "starts_on": "2026-01-01",
        "ends_on": "2026-12-31"}), 201)
    screen = expect(await http.get(f"/app/v1/screens/premises/{premise}", headers=auth), 200)
    assert screen["insurance"] == [{"policy_number": "П-1", "insurer": "СК Надёжная", "starts_on": "2026-01-01",
                                    "ends_on": "2026-12-31"}]


@pytest.mark.parametrize(("type", "title"), [("parking_space", "Моё машиноместо"), ("storage", "Моя кладовая"),
                                             ("house", "Мой дом"), ("apartments", "Мои апартаменты")])
async def test_app_prem_06_title_follows_the_type(http, type, title):
    phone = next_phone()
    a = await make_partner(http, f"pm-{type.replace('_', '-')}")
    premise = await give_premise(http, a, phone, "3", type=type)
    auth = await app_login(http, phone)
    assert expect(await http.get(f"/app/v1/screens/premises/{premise}", headers=auth), 200)["title"] == title
    assert expect(await http.get("/app/v1/screens/profile", headers=auth), 200)["current_premise"]["title"] == title


async def test_app_prem_06_someone_elses_premise_is_unknown(http):
    a = await make_partner(http, "pm-two")
    premise = await give_premise(http, a, next_phone(), "1")
    stranger = await app_login(http, next_phone())
    expect(await http.get(f"/app/v1/screens/premises/{premise}", headers=stranger), 404)
    expect(await http.get("/app/v1/screens/premises/not-an-id", headers=stranger), 404)


async def test_app_prem_06_resident_downloads_public_documents_of_own_premises_only(http):
    """Rule: APP-PREM-06 — a document of My Premise downloads from its `download_url`; a hidden
    document, another resident's premise's document or an unknown id is 404."""
    phone, stranger_phone = next_phone(), next_phone()
    a = await make_partner(http, "pm-docs")
    premise = await give_premise(http, a, phone, "12")
    other = await give_premise(http, a, stranger_phone, "13")
    body = "Акт приёмки %PDF".encode()
    plan = {"file": ("План квартиры.pdf", b"%PDF-1.4 " + body, "application/pdf")}
    expect(await http.post(f"/crm/v1/premises/{premise}/documents", headers=a.staff, files=plan,
                           data={"name": "План"}), 201)
    hidden = expect(await http.post(f"/crm/v1/premises/{premise}/documents", headers=a.staff, files=plan,
                                    data={"name": "Внутренний", "is_public": "false"}), 201)["id"]
    foreign = expect(await http.post(f"/crm/v1/premises/{other}/documents", headers=a.staff, files=plan,
                                     data={"name": "Чужой"}), 201)["id"]
    auth = await app_login(http, phone)

    [document] = expect(await http.get(f"/app/v1/screens/premises/{premise}", headers=auth), 200)["documents"]
    response = await http.get(document["download_url"], headers=auth)
    assert response.status_code == 200 and response.content == b"%PDF-1.4 " + body
    assert response.headers["content-type"] == "application/pdf"
    assert "filename*=UTF-8''%D0%9F%D0%BB%D0%B0%D0%BD" in response.headers["content-disposition"]
    for document_id in (hidden, foreign, "00000000-0000-4000-8000-000000000000"):
        missing = await http.get(f"/app/v1/documents/{document_id}/file", headers=auth)
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert (await http.get(document["download_url"])).status_code == 401
