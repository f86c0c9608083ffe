"""Base Structs and bounded field types shared by the HTTP schemas."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta


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
