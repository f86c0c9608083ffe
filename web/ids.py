"""IDs are opaque strings on the wire and UUIDs inside."""

from __future__ import annotations

import uuid

from core.errors import InvalidInput


def parse_id(value: str, field: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        raise InvalidInput.field(field, "Некорректный идентификатор") from None
