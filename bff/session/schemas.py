"""Bodies of the session switches (APP-PREM-02/03): the premise or brand to switch to and the resulting
context."""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

from bff.brands.schemas import BrandView
from web.schemas import Id, LenientInput, Output


class SwitchPremiseRequest(LenientInput, kw_only=True):
    premise_id: Id


class SwitchBrandRequest(LenientInput, kw_only=True):
    brand_slug: Annotated[str, Meta(min_length=1, max_length=64)]


class SessionContext(Output, kw_only=True):
    current_premise_id: str | None = None
    brand: BrandView | None = None
