"""Validation rules of client data (CRM-VAL-01, CRM-CLI-02). Plain functions: value in, a
normalised value out, or InvalidInput naming the field."""

from __future__ import annotations

import re
from datetime import date

from stdnum.ru import inn as ru_inn

from core.errors import ErrorCode, Conflict, InvalidInput, PermissionDenied, RuleViolation


# The problem codes of clients, their phones, external ids and links.
ClientCode = ErrorCode.table("ClientCode", __name__, {
    Conflict: "phone_taken external_id_taken already_linked",
    PermissionDenied: "tags_edit_required",
    RuleViolation: "phone_locked",
})


# Letters of any alphabet, with spaces, hyphens and apostrophes between them.
_NAME = re.compile(r"^[^\W\d_]+(?:[ '’\-][^\W\d_]+)*$")
_ELS = re.compile(r"^\d{2}[А-ЯЁ]{2}\d{6}$")


def full_name_part(value: str | None, field: str) -> str | None:
    """Rule CRM-CLI-02: full names accept letters only (any alphabet, spaces, hyphens, apostrophes)."""
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if not cleaned:
        return None
    if not _NAME.match(cleaned):
        raise InvalidInput.field(field, "Допустимы только буквы, пробел, дефис и апостроф")
    return cleaned


def inn(value: str | None, field: str = "inn") -> str | None:
    if value is None or not value.strip():
        return None
    digits = value.strip()
    if not digits.isdigit() or len(digits) not in (10, 12) or not ru_inn.is_valid(digits):
        raise InvalidInput.field(field, "ИНН должен содержать 10 или 12 цифр с верной контрольной суммой")
    return digits


def snils(value: str | None, field: str = "snils") -> str | None:
    if value is None or not value.strip():
        return None
    digits = re.sub(r"[\s-]", "", value)
    if not digits.isdigit() or len(digits) != 11 or not _snils_checksum_ok(digits):
        raise InvalidInput.field(field, "СНИЛС должен содержать 11 цифр с верной контрольной суммой")
    return digits


def _snils_checksum_ok(digits: str) -> bool:
    body, check = digits[:9], int(digits[9:])
    if int(body) <= 1001998:
        return True  # numbers this low were issued before the checksum existed
    total = sum(int(d) * w for d, w in zip(body, range(9, 0, -1), strict=True))
    while total > 101:
        total %= 101
    expected = 0 if total in (100, 101) else total
    return check == expected


def els(value: str | None, field: str = "els") -> str | None:
    """ЕЛС in the GIS ZhKH format: two digits, two Cyrillic capitals, six digits."""
    if value is None or not value.strip():
        return None
    cleaned = value.strip().upper()
    if not _ELS.match(cleaned):
        raise InvalidInput.field(field, "ЕЛС — ровно 10 символов в формате 00АА000000")
    return cleaned


def not_in_future(value: date | None, today: date, field: str) -> date | None:
    if value is not None and value > today:
        raise InvalidInput.field(field, "Дата не может быть в будущем")
    return value


def areas(total: object, living: object) -> None:
    """Areas are ≥ 0 and the living area is not larger than the total one."""
    from decimal import Decimal

    for name, value in (("total_area", total), ("living_area", living)):
        if value is not None and Decimal(value) < 0:
            raise InvalidInput.field(name, "Площадь не может быть отрицательной")
    if total is not None and living is not None and Decimal(living) > Decimal(total):
        raise InvalidInput.field("living_area", "Жилая площадь не может быть больше общей")


def client_fields(changes: dict, today: date) -> dict:
    """The validated, normalised form of the client fields present in `changes` (CRM forms and
    imports alike)."""
    clean = dict(changes)
    for name in ("last_name", "first_name", "middle_name"):
        if name in clean:
            clean[name] = full_name_part(clean[name], name)
    if "inn" in clean:
        clean["inn"] = inn(clean["inn"])
    if "snils" in clean:
        clean["snils"] = snils(clean["snils"])
    if "birth_date" in clean:
        not_in_future(clean["birth_date"], today, "birth_date")
    if clean.get("email"):
        clean["email"] = clean["email"].strip().lower()
    return clean


# CRM-CLI-03 / IMPORT-02C: when both merged cards are linked to one premise, the merged card keeps
# the strongest role — the owner first, then who may act for the owner, then who lives there.
ROLE_STRENGTH = {"owner": 5, "unconfirmed_owner": 4, "representative": 3, "tenant": 2, "resident": 1}


def stronger_role(absorbed: str, survivor: str) -> bool:
    """Whether the absorbed card's role on a shared premise beats the survivor's (ties keep the survivor's)."""
    return ROLE_STRENGTH.get(absorbed, 0) > ROLE_STRENGTH.get(survivor, 0)
