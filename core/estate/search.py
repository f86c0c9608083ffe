"""How a search box query reads (CRM-PREM-01, CRM-CLI-01): plain functions, no database."""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.phones import phone_digits_fragment

# A digit, then letters, digits, "/" or "-" ("12", "12а", "5/2"). One class after the first digit:
# `\d+` before a class that takes digits too made a long token cost its length squared.
_NUMBERISH = re.compile(r"^\d[\wА-Яа-яЁё/\-]*$")
_STREET_NOISE = re.compile(r"^(ул|улица|пр|пр-т|проспект|пер|переулок|ш|шоссе|б-р|бульвар|д|дом|кв|квартира)\.?$",
                           re.IGNORECASE)


def escape_like(value: str) -> str:
    """`value` taken literally inside a LIKE pattern (the default escape character is \\)."""
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def contains_pattern(value: str) -> str:
    return f"%{escape_like(value)}%"


@dataclass(frozen=True, slots=True)
class AddressQuery:
    street: str | None = None
    house: str | None = None
    number: str | None = None


def parse_address_query(query: str) -> AddressQuery | None:
    """Street → house → premise, each part optional from the left: "Ленина 5 12", "5 12", "12".
    Words form the street; the numbers after them are read from the right as premise, then house.
    With a street and a single number the number is the house ("Ленина 5"), as people type.
    Returns None when the query cannot be an address."""
    tokens = [t for t in re.split(r"[\s,]+", query.strip()) if t and not _STREET_NOISE.match(t)]
    if not tokens:
        return None
    numbers: list[str] = []
    while tokens and _NUMBERISH.match(tokens[-1]) and len(numbers) < 2:
        numbers.insert(0, tokens.pop())
    street = " ".join(tokens) or None
    if street and any(_NUMBERISH.match(t) for t in tokens):
        return None  # numbers inside the street part: not an address in our order
    if street and len(numbers) == 1:
        return AddressQuery(street=street.lower(), house=numbers[0].upper())
    if len(numbers) == 2:
        return AddressQuery(street=street.lower() if street else None, house=numbers[0].upper(),
                            number=numbers[1].upper())
    if len(numbers) == 1:
        return AddressQuery(number=numbers[0].upper())
    return AddressQuery(street=street.lower() if street else None)


@dataclass(frozen=True, slots=True)
class PersonQuery:
    name_tokens: tuple[str, ...]
    phone_digits: str | None

    @property
    def phone_fragments(self) -> tuple[str, ...]:
        """A leading 8 may be the Russian trunk prefix of +7: look for both readings."""
        if not self.phone_digits:
            return ()
        # A short fragment is digits anywhere in the number; a long one starting with 8 is the
        # beginning of a number dialled with the trunk prefix.
        if self.phone_digits.startswith("8") and len(self.phone_digits) >= 7:
            return (self.phone_digits, "7" + self.phone_digits[1:])
        return (self.phone_digits,)


# The n-grams the index ix_client_phone_grams holds of every phone (search_grams() of migration
# 0004): its 3- and 4-character substrings.
GRAM_SIZES = (3, 4)


def fragment_grams(fragment: str) -> list[str]:
    """N-grams every phone containing `fragment` holds (3 or more characters): the longest ones
    that cover it end to end. Any phone containing the fragment has them all, so the index finds a
    superset of the matches, which the LIKE of the fragment then checks."""
    size = min(len(fragment), max(GRAM_SIZES))
    if size < min(GRAM_SIZES):
        return []
    starts = sorted({*range(0, len(fragment) - size + 1, size), len(fragment) - size})
    return [fragment[i:i + size] for i in starts]


def parse_person_query(query: str) -> PersonQuery:
    """A client is found by name (every word a prefix of one of the names) or by phone in any
    format, or any part of its digits (at least 3 digits). Digits are read as a phone only when
    the query has no words: "Лермонтова 7 97" is an address, not a phone fragment "797"."""
    letters = tuple(t.lower() for t in re.split(r"[\s,]+", query.strip()) if t and not any(c.isdigit() for c in t))
    digits = "" if letters else phone_digits_fragment(query)
    return PersonQuery(name_tokens=letters, phone_digits=digits if len(digits) >= 3 else None)
