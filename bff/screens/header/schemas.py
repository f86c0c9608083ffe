"""The header screen's answer (APP-PREM-04) and the row of its SQL statement."""

from __future__ import annotations

from typing import Literal

from web.schemas import Output


class HeaderScreen(Output, kw_only=True):
    """The header line of Main / Home / Services (APP-PREM-04)."""

    title: str
    kind: Literal["region", "my_premises", "premise"]
    action: Literal["pick_region", "log_in", "open_my_premises"]
    current_premise_id: str | None = None


class HeaderRow(Output, kw_only=True):
    has_premises: bool
    current_premise_id: str | None = None
    address: str | None = None
