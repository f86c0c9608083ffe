"""Phones are parsed with libphonenumber rules and normalised to one form (CRM-VAL-01, IMPORT-05)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.phones import InvalidPhone, normalize_phone, phone_digits_fragment


@pytest.mark.parametrize("raw", [
    "+79991234567", "89991234567", "79991234567", "8 999 123-45-67", "+7 (999) 123-45-67",
    "8(999)1234567", " +7 999 123 45 67 ", "9991234567",
])
def test_crm_val_01_russian_formats_are_one_number(raw):
    """Rule: CRM-VAL-01 — `8…` is `+7…`, spaces, brackets and dashes are ignored."""
    assert normalize_phone(raw) == "+79991234567"


def test_kazakhstan_shares_plus_seven():
    assert normalize_phone("+7 701 123 45 67") == "+77011234567"
    assert normalize_phone("87011234567") == "+77011234567"


def test_foreign_numbers_keep_their_country():
    assert normalize_phone("+375 29 123-45-67") == "+375291234567"


@pytest.mark.parametrize("raw", ["", "   ", "phone", "12345", "+7 999 123", "+7 000 000 00 00", "8" * 20])
def test_invalid_phones_name_the_field(raw):
    with pytest.raises(InvalidPhone) as error:
        normalize_phone(raw, field="clients[3].phone")
    assert error.value.errors[0].field == "clients[3].phone"


@given(st.from_regex(r"9[0-9]{9}", fullmatch=True), st.sampled_from(["+7{}", "8{}", "7{}", "+7 ({}", "8-{}"]))
def test_import_05_any_spelling_of_a_mobile_number_normalises_the_same(national, template):
    """Rule: IMPORT-05 — phones are normalised before matching."""
    raw = template.format(national) if "(" not in template else f"+7 ({national[:3]}) {national[3:]}"
    try:
        expected = normalize_phone("+7" + national)
    except InvalidPhone:
        return  # not an allocated range: every spelling is refused alike
    assert normalize_phone(raw) == expected


def test_search_fragment_reads_a_leading_eight_as_seven():
    assert phone_digits_fragment("8 (999) 123-45-67") == "79991234567"
    assert phone_digits_fragment("45-67") == "4567"
