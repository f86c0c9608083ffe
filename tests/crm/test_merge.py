"""Merging an owner into the resident who depended on them (CRM-CLI-03 staff merge, IMPORT-02C
import merge): the merged card keeps the strongest role, the premise keeps its owner, and no link
depends on itself."""

from __future__ import annotations

import pytest

from core.clients.rules import stronger_role
from tests.crm.estate import link, make_client, make_object, make_premise, partner_with_staff
from tests.support import expect


@pytest.mark.parametrize(("absorbed", "survivor", "expected"), [
    ("owner", "resident", True), ("owner", "tenant", True), ("owner", "representative", True),
    ("unconfirmed_owner", "resident", True), ("representative", "tenant", True), ("tenant", "resident", True),
    ("resident", "owner", False), ("owner", "owner", False), ("resident", "resident", False),
    ("tenant", "unconfirmed_owner", False),
])
def test_crm_cli_03_the_merged_card_keeps_the_strongest_role(absorbed, survivor, expected):
    assert stronger_role(absorbed, survivor) is expected


async def _links(http, staff, premise: str) -> dict[str, tuple]:
    card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    return {c["client_id"]: (c["role"], c["depends_on_client_id"]) for c in card["clients"]}


async def test_crm_cli_03_merging_an_owner_into_their_resident_keeps_the_premise_owned(http):
    """Rule: CRM-CLI-03 — A (owner) merged into B (resident depending on A): B owns the premise,
    depends on nobody, and C (who depended on A) now depends on B."""
    _, staff = await partner_with_staff(http)
    premise = await make_premise(http, staff, await make_object(http, staff), "9")
    a = await make_client(http, staff, "Альфа", "Анна", "+79161231050")
    b = await make_client(http, staff, "Бета", "Борис", "+79161231051")
    c = await make_client(http, staff, "Гамма", "Галина", "+79161231052")
    await link(http, staff, premise, a, "owner", ddu_number="ДДУ-9")
    await link(http, staff, premise, b, "resident", depends_on_client_id=a)
    await link(http, staff, premise, c, "tenant", depends_on_client_id=a, rent_day=5)
    merged = expect(await http.post(f"/crm/v1/clients/{a}/merge", headers=staff, json={"with_client_id": b}), 200)
    assert merged["id"] == b
    assert [(p["premise_id"], p["role"]) for p in merged["premises"]] == [(premise, "owner")]
    assert await _links(http, staff, premise) == {b: ("owner", None), c: ("tenant", b)}
    card = expect(await http.get(f"/crm/v1/premises/{premise}", headers=staff), 200)
    assert next(x for x in card["clients"] if x["client_id"] == b)["ddu_number"] == "ДДУ-9"


async def test_import_02c_merge_keeps_the_owner_and_no_link_depends_on_itself(http):
    """Rule: IMPORT-02C — the imported card C (owner) takes the phone of D (resident depending on C):
    the merged card D owns the premise and depends on nobody."""
    _, staff = await partner_with_staff(http)
    premise = await make_premise(http, staff, await make_object(http, staff), "10")
    [c] = expect(await http.post("/crm/v1/import/clients", headers=staff, json={"items": [
        {"external_id": "1C-OWN", "phone": "+79161231060", "last_name": "Орлова", "first_name": "Ольга"}]}),
        200)["results"]
    d = await make_client(http, staff, "Орлов", "Олег", "+79161231061")
    await link(http, staff, premise, c["client_id"], "owner")
    await link(http, staff, premise, d, "resident", depends_on_client_id=c["client_id"])
    [merged] = expect(await http.post("/crm/v1/import/clients", headers=staff, json={"items": [
        {"external_id": "1C-OWN", "phone": "+79161231061", "last_name": "Орлов", "first_name": "Олег"}]}),
        200)["results"]
    assert merged["status"] == "merged" and merged["client_id"] == d
    assert await _links(http, staff, premise) == {d: ("owner", None)}
