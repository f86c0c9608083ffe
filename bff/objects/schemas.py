"""The object catalogue's answer: objects a premise request may name, in keyset pages (STAFF-05)."""

from __future__ import annotations

from web.schemas import Output


class CatalogueItem(Output, kw_only=True):
    id: str
    name: str
    address: str
    brand_slug: str | None
    partner_name: str


class ObjectCatalogue(Output, kw_only=True):
    """STAFF-05: the objects a premise request may name."""

    items: list[CatalogueItem]
    next_cursor: str | None
