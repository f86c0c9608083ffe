"""Keyset (cursor) pagination: stable under inserts, no OFFSET, no COUNT(*) OVER ()."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, literal, tuple_
from sqlalchemy.sql.elements import ColumnElement

from core.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([v.isoformat() if isinstance(v, (date, datetime)) else str(v) if isinstance(
        v, (uuid.UUID, Decimal)) else v for v in values], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, keys: Sequence[ColumnElement]) -> list[Any] | None:
    if not cursor:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        return [_typed(value, key) for value, key in zip(values, keys, strict=True)]
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput.field("cursor", "Некорректный курсор") from None


def _typed(value: Any, key: ColumnElement) -> Any:
    try:
        kind = key.type.python_type
    except NotImplementedError:
        return value
    if value is None or isinstance(value, kind):
        return value
    if kind is uuid.UUID:
        return uuid.UUID(value)
    if kind is Decimal:
        return Decimal(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    return kind(value)


def keyset(stmt: Select, keys: Sequence[ColumnElement], *, cursor: str | None, limit: int,
           descending: bool = False) -> Select:
    """Order by `keys` (the last one unique, e.g. the id) and continue after `cursor`.
    Fetches one row more than `limit`, so `page` can tell whether another page exists."""
    after = decode_cursor(cursor, keys)
    if after is not None:
        bound = tuple_(*[literal(value, type_=key.type) for value, key in zip(after, keys, strict=True)])
        stmt = stmt.where(tuple_(*keys) < bound if descending else tuple_(*keys) > bound)
    order = [key.desc() for key in keys] if descending else list(keys)
    return stmt.order_by(*order).limit(limit + 1)


def page(rows: Sequence[Any], limit: int, key_of) -> tuple[list[Any], str | None]:
    """Cut the extra row and make the cursor of the next page from the last row kept."""
    items = list(rows[:limit])
    if len(rows) > limit and items:
        return items, encode_cursor(key_of(items[-1]))
    return items, None
