"""The resident's own rules: which personal data they may edit (APP-DATA-01), the name the app shows,
and the problem codes of a resident's account and app context."""

from __future__ import annotations

from core.errors import (
    ErrorCode,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
    RuleViolation,
)

# The problem codes of a resident's account and app context.
ResidentCode = ErrorCode.table("ResidentCode", __name__, {
    NotAuthenticated: "account_missing",
    PermissionDenied: "client_blocked field_not_editable brand_switch_unavailable",
    RuleViolation: "premise_of_other_brand",
})


# APP-DATA-01: what the resident may change in My Data; phone and gender are not editable.
PERSON_TYPES = ("individual", "sole_proprietor")
ORGANIZATION_TYPES = ("legal_entity", "foreign_branch")
NOT_EDITABLE = ("phone", "gender")
NOT_EDITABLE_MESSAGE = "Телефон и пол в приложении изменить нельзя: обратитесь в управляющую организацию"


def editable_fields(account_type: str) -> list[str]:
    names = ["last_name", "first_name", "middle_name"] if account_type in PERSON_TYPES else ["name"]
    return ["photo", "type", *names, "birth_date", "email"]


def check_editable(changes: dict, account_type: str) -> None:
    """Refuse phone/gender changes, and names of the other kind of account (a full name for an
    organization, an organization name for a person)."""
    for field in NOT_EDITABLE:
        if field in changes:
            raise PermissionDenied(NOT_EDITABLE_MESSAGE, code=ResidentCode.FIELD_NOT_EDITABLE)
    allowed = set(editable_fields(changes.get("type") or account_type)) | {"type"}
    for field in changes:
        if field not in allowed:
            raise InvalidInput.field(field, "Для этого типа клиента поле не заполняется")


# APP-PREM-03: only the unified app switches brands.
BRAND_SWITCH_UNAVAILABLE = "Сменить бренд можно только в приложении Домиленд"
OTHER_BRAND_PREMISE = "Это помещение обслуживает другой бренд: откройте его в приложении Домиленд"


def account_name(account_type: str, last_name: str | None, first_name: str | None, middle_name: str | None,
                 name: str | None) -> str | None:
    """The name the app shows: the full name of a person, the name of an organization."""
    if account_type in ORGANIZATION_TYPES:
        return name or None
    return " ".join(p for p in (last_name, first_name, middle_name) if p) or None
