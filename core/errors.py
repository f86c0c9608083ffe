"""Domain errors: a stable code and a message, no HTTP. One mapping in `web` turns them into
problem details."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str
    message: str


class DomainError(Exception):
    code: str = "error"
    title: str = "Error"

    def __init__(self, detail: str | None = None, *, code: str | None = None,
                 extra: dict[str, object] | None = None) -> None:
        self.detail = detail or self.title
        if code:
            if not isinstance(code, ErrorCode) or not isinstance(self, code.kind):
                raise TypeError(f"{code!r} is not a code of an area's table carried by {type(self).__name__}")
            self.code = code
        # Extension members of the problem answer, e.g. the id of the client a phone belongs to.
        self.extra = extra or {}
        super().__init__(self.detail)


class InvalidInput(DomainError):
    """The input is malformed or fails validation (400)."""

    code = "invalid_input"
    title = "Invalid input"

    def __init__(self, detail: str | None = None, *, errors: list[FieldError] | None = None,
                 code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.errors = errors or []

    @classmethod
    def field(cls, field: str, message: str) -> "InvalidInput":
        return cls(message, errors=[FieldError(field, message)])


class NotAuthenticated(DomainError):
    code = "not_authenticated"
    title = "Authentication required"


class PermissionDenied(DomainError):
    code = "forbidden"
    title = "Not allowed"

    @classmethod
    def lacking(cls, permission: str) -> "PermissionDenied":
        """The staff member's role lacks `permission` (SPEC section 7)."""
        return cls(f"Недостаточно прав: нужно разрешение «{permission}»", code=Common.PERMISSION_REQUIRED)


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflict"


class TooLarge(DomainError):
    """An upload is larger than allowed (413)."""

    code = "payload_too_large"
    title = "Payload too large"


class RuleViolation(DomainError):
    """A business rule refused the request (422)."""

    code = "rule_violation"
    title = "Refused by a business rule"


class RateLimited(DomainError):
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str | None = None, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = max(1, int(retry_after))


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    title = "Service unavailable"

    def __init__(self, detail: str | None = None, *, code: str | None = None, retry_after: int = 5) -> None:
        super().__init__(detail, code=code)
        self.retry_after = max(1, int(retry_after))


class ErrorCode(StrEnum):
    """A table of problem codes: each area declares its own once (`ErrorCode.table`), and each
    member is the code with the kind of domain error that carries it. An error raised with a code
    of another kind, or with a bare string, is refused at once."""

    kind: type[DomainError]

    def __new__(cls, value: str, kind: type[DomainError]) -> ErrorCode:
        member = str.__new__(cls, value)
        member._value_ = value
        member.kind = kind
        return member

    @classmethod
    def table(cls, name: str, module: str, codes: dict[type[DomainError], str]) -> type[ErrorCode]:
        """An area's table, the module constant `name`: for each kind of error, its codes separated
        by spaces; each member is named by its code in capitals (`AuthCode.OTP_INVALID`)."""
        members = [(code.upper(), (code, kind)) for kind, names in codes.items() for code in names.split()]
        return cls(name, members, module=module, qualname=name)


# The codes of the error kinds themselves, raised by every area.
Common = ErrorCode.table("Common", __name__, {
    InvalidInput: "invalid_input",
    NotAuthenticated: "not_authenticated",
    PermissionDenied: "forbidden permission_required",
    NotFound: "not_found",
    Conflict: "conflict",
    TooLarge: "payload_too_large",
    RuleViolation: "rule_violation",
    RateLimited: "rate_limited",
    ServiceUnavailable: "service_unavailable",
})


def error_codes() -> list[ErrorCode]:
    """Every code of every area's table (the tables are the subclasses of ErrorCode)."""
    return [member for table in ErrorCode.__subclasses__() for member in table]


class ConfigurationError(Exception):
    """The process cannot start with this configuration."""
