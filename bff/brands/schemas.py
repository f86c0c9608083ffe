"""The brand the app paints itself with (colours, icons, products) and the items of the brand list (APP-PREM-03)."""

from __future__ import annotations

from web.schemas import Output


class BrandColors(Output, kw_only=True):
    primary: str | None = None
    secondary: str | None = None
    accent: str | None = None
    background: str | None = None
    text: str | None = None


class BrandView(Output, kw_only=True):
    """The brand the app paints itself with and the products it shows (the brand's partner's)."""

    slug: str
    name: str
    colors: BrandColors
    icon_url: str | None = None
    logo_url: str | None = None
    products: list[str]


class BrandItem(Output, kw_only=True):
    slug: str
    name: str
    icon_url: str | None = None
    current: bool
