"""Domain errors: a stable code and a message, no HTTP. One mapping in `web` turns them into
problem details."""

from __future__ import annotations

from dataclasses import dataclass


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
        return cls(f"Недостаточно прав: нужно разрешение «{permission}»", code="permission_required")


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


class ConfigurationError(Exception):
    """The process cannot start with this configuration."""
