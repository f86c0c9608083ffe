"""Keyset (cursor) pagination: stable under inserts, no OFFSET, no COUNT(*) OVER (); cursors sealed
between requests (README: Lists and cursors)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import Select, literal, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from core.errors import InvalidInput

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
BAD_CURSOR = "Некорректный курсор: передайте next_cursor предыдущей страницы этого же списка"
_NONCE = 12
_VERSION = b"\x01"


class Position:
    """The sort key of a page's last row, in the process only (see the module text)."""

    __slots__ = ("values",)

    def __init__(self, values: Sequence[Any]) -> None:
        self.values = list(values)

    def __repr__(self) -> str:  # never print the key itself (it may be a masked value)
        return f"Position(<{len(self.values)} keys>)"


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (uuid.UUID, Decimal)):
        return str(value)
    return value


def _derive(secret: str) -> AESGCM:
    key = HKDF(algorithm=SHA256(), length=32, salt=b"resident-backend", info=b"pagination-cursor/v1").derive(
        secret.encode())
    return AESGCM(key)


class CursorCodec:
    """Seals positions into opaque cursors and opens them. New cursors are sealed with the key of
    the first secret; the previous secrets' keys still open theirs, so a key rotation breaks no
    list a person is scrolling."""

    def __init__(self, secrets_: Sequence[str]) -> None:
        keys = [s for s in secrets_ if s]
        if not keys:
            raise ValueError("a token secret is required")
        self._keys = [_derive(s) for s in keys]

    @staticmethod
    def _aad(scope: str) -> bytes:
        return hashlib.sha256(scope.encode()).digest()

    def seal(self, position: Position | None, scope: str) -> str | None:
        if position is None:
            return None
        raw = json.dumps([_plain(v) for v in position.values], ensure_ascii=False, separators=(",", ":"))
        nonce = os.urandom(_NONCE)
        sealed = self._keys[0].encrypt(nonce, raw.encode(), _VERSION + self._aad(scope))
        return base64.urlsafe_b64encode(_VERSION + nonce + sealed).decode().rstrip("=")

    def open(self, cursor: str | None, scope: str) -> Position | None:
        """The position of a cursor this server sealed for `scope`; anything else is 400 (the
        answer says nothing about why, so forging one teaches nothing)."""
        if not cursor:
            return None
        try:
            blob = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raise InvalidInput.field("cursor", BAD_CURSOR) from None
        if len(blob) <= 1 + _NONCE or blob[:1] != _VERSION:
            raise InvalidInput.field("cursor", BAD_CURSOR)
        nonce, sealed = blob[1:1 + _NONCE], blob[1 + _NONCE:]
        for key in self._keys:
            try:
                raw = key.decrypt(nonce, sealed, _VERSION + self._aad(scope))
            except InvalidTag:
                continue
            values = json.loads(raw)
            if isinstance(values, list):
                return Position(values)
        raise InvalidInput.field("cursor", BAD_CURSOR)


def _after(position: Position | None, keys: Sequence[ColumnElement]) -> list[Any] | None:
    if position is None:
        return None
    try:
        if len(position.values) != len(keys):
            raise ValueError
        return [_typed(value, key) for value, key in zip(position.values, keys, strict=True)]
    except (ValueError, TypeError):
        # A sealed cursor of this list always fits its keys; this one was issued before a change
        # of the list's sort keys.
        raise InvalidInput.field("cursor", BAD_CURSOR) from None


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


def keyset(stmt: Select, keys: Sequence[ColumnElement], *, cursor: Position | None, limit: int,
           descending: bool = False) -> Select:
    """Order by `keys` (the last one unique, e.g. the id) and continue after `cursor`.
    Fetches one row more than `limit`, so `page` can tell whether another page exists."""
    after = _after(cursor, keys)
    if after is not None:
        bound = tuple_(*[literal(value, type_=key.type) for value, key in zip(after, keys, strict=True)])
        stmt = stmt.where(tuple_(*keys) < bound if descending else tuple_(*keys) > bound)
    order = [key.desc() for key in keys] if descending else list(keys)
    return stmt.order_by(*order).limit(limit + 1)


async def by_creation(db: AsyncSession, stmt: Select, model, *, cursor: Position | None, limit: int,
                      newest_first: bool = False) -> tuple[list[Any], Position | None]:
    """One page of the rows of `model` that `stmt` selects, in the order they were created."""
    keys = [model.created_at, model.id]
    rows = (await db.scalars(keyset(stmt, keys, cursor=cursor, limit=limit, descending=newest_first))).all()
    return page(rows, limit, lambda r: (r.created_at, r.id))


def page(rows: Sequence[Any], limit: int, key_of) -> tuple[list[Any], Position | None]:
    """Cut the extra row and take the position of the next page from the last row kept."""
    items = list(rows[:limit])
    if len(rows) > limit and items:
        return items, Position(key_of(items[-1]))
    return items, None
