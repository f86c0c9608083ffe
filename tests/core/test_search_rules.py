"""Reading of search queries (CRM-PREM-01, CRM-CLI-01)."""

import pytest

from core.estate.search import AddressQuery, fragment_grams, parse_address_query, parse_person_query


@pytest.mark.parametrize("query, expected", [
    ("Ленина 5 12", AddressQuery("ленина", "5", "12")),
    ("ул. Ленина, д. 5, кв. 12", AddressQuery("ленина", "5", "12")),
    ("5 12", AddressQuery(None, "5", "12")),
    ("12", AddressQuery(None, None, "12")),
    ("Ленина 5", AddressQuery("ленина", "5", None)),
    ("Ленина", AddressQuery("ленина", None, None)),
    ("Маршала Жукова 10к2 7а", AddressQuery("маршала жукова", "10К2", "7А")),
    ("", None),
])
def test_crm_prem_01_address_parts_street_house_premise(query, expected):
    """Rule: CRM-PREM-01 — street → house → premise, each part optional from the left."""
    assert parse_address_query(query) == expected


def test_crm_cli_01_person_query_reads_names_and_phone_digits():
    """Rule: CRM-CLI-01 — by name or by phone in any format or part."""
    assert parse_person_query("8 (916) 123").phone_fragments == ("8916123", "7916123")
    assert parse_person_query("8 916 123-45-67").phone_digits == "79161234567"
    assert parse_person_query("Иванов Иван").name_tokens == ("иванов", "иван")
    assert parse_person_query("12").phone_digits is None


def test_words_and_numbers_are_an_address_not_a_phone_fragment():
    """Rule: CRM-PREM-01 — "Лермонтова 7 97" must not also search phones containing 797."""
    query = parse_person_query("Лермонтова 7 97")
    assert query.phone_digits is None and query.name_tokens == ("лермонтова",)


@pytest.mark.parametrize("fragment, grams", [
    ("777", ["777"]),
    ("9167", ["9167"]),
    ("8916777", ["8916", "6777"]),
    ("9161234567", ["9161", "2345", "4567"]),
    ("12", []),
])
def test_crm_cli_01_a_phone_fragment_is_looked_up_by_the_n_grams_that_cover_it(fragment, grams):
    """Rule: CRM-CLI-01 — every phone containing the fragment holds these 3- and 4-digit n-grams."""
    assert fragment_grams(fragment) == grams
