"""IDs are opaque strings on the wire and UUIDs inside."""

from __future__ import annotations

import uuid

from core.errors import InvalidInput, NotFound


def parse_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput.field(field, "Некорректный идентификатор") from None


def path_id(value: str) -> uuid.UUID:
    """An id in a path: a malformed one names nothing that exists, so 404 as for an unknown or
    another partner's id."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotFound("Не найдено") from None
