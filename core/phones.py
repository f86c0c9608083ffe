"""Phone numbers: parsed and normalised with libphonenumber (region RU by default, so
`8 999 …`, `+7 (999) …` and `79991234567` are one number; Kazakhstan shares +7)."""

from __future__ import annotations

import re

import phonenumbers

from core.errors import ErrorCode, FieldError, InvalidInput

DEFAULT_REGION = "RU"
_DIGITS = re.compile(r"\D+")


# The problem codes of phone numbers.
PhoneCode = ErrorCode.table("PhoneCode", __name__, {
    InvalidInput: "invalid_phone",
})


class InvalidPhone(InvalidInput):
    code = PhoneCode.INVALID_PHONE


def normalize_phone(raw: str, *, field: str = "phone", region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of `raw` or raise InvalidPhone naming `field`."""
    text = (raw or "").strip()
    digits = _DIGITS.sub("", text)
    # An 11-digit number starting with 7 but typed without "+" is still a +7 number.
    if not text.startswith("+") and len(digits) == 11 and digits[0] == "7":
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise InvalidPhone("Некорректный номер телефона", errors=[FieldError(field, "Некорректный номер телефона")]) from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone("Некорректный номер телефона", errors=[FieldError(field, "Некорректный номер телефона")])
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def country_of(e164: str) -> str | None:
    """The ISO country of a normalised number (`+7 7…` is KZ, `+7 9…` RU), None when unknown."""
    try:
        return phonenumbers.region_code_for_number(phonenumbers.parse(e164, None))
    except phonenumbers.NumberParseException:
        return None


def phone_digits_fragment(query: str) -> str:
    """The digits of a search query, with a leading 8 of a Russian trunk prefix read as 7."""
    digits = _DIGITS.sub("", query)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits

