"""Base Structs and bounded field types shared by the HTTP schemas."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated

import msgspec
from litestar.params import Parameter
from msgspec import Meta

from core.infra.pagination import DEFAULT_LIMIT, MAX_LIMIT  # noqa: F401 - re-exported for controllers


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A request body: unknown fields are refused, so a typo never passes silently."""


class LenientInput(msgspec.Struct, kw_only=True):
    """A request body from the apps, where newer versions may send more than we know."""


class Output(msgspec.Struct, kw_only=True):
    pass


ShortText = Annotated[str, Meta(min_length=1, max_length=200)]
OptionalShortText = Annotated[str, Meta(max_length=200)] | None
LongText = Annotated[str, Meta(max_length=5000)]
Url = Annotated[str, Meta(min_length=1, max_length=2000, pattern=r"^https?://")]
Slug = Annotated[str, Meta(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Email = Annotated[str, Meta(min_length=3, max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
Phone = Annotated[str, Meta(min_length=1, max_length=32)]
Color = Annotated[str, Meta(pattern=r"^#[0-9A-Fa-f]{6}([0-9A-Fa-f]{2})?$")]


class Created(Output, kw_only=True):
    id: str


Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description=f"page size, at most {MAX_LIMIT}")]
Cursor = Annotated[str | None, Parameter(max_length=2000, description="next_cursor of the previous page")]
Id = Annotated[str, Meta(min_length=1, max_length=64)]


def changes_of(struct: msgspec.Struct, *, ids: tuple[str, ...] = ()) -> dict:
    """The fields a request actually sent (UNSET ones left out); `ids` are parsed to UUIDs."""
    from web.ids import parse_id

    changes = {}
    for name in struct.__struct_fields__:
        value = getattr(struct, name)
        if value is msgspec.UNSET:
            continue
        if name in ids and value is not None:
            value = parse_id(value, name)
        changes[name] = value
    return changes


def iso(moment: datetime | None) -> str | None:
    """A moment as ISO 8601 UTC to the second (`2026-12-02T08:30:00Z`)."""
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
