"""The body of a premise request from the app (object, address, number, role) and its created answer (STAFF-05)."""

from __future__ import annotations

from typing import Literal

from web.schemas import Id, LenientInput, Output, ShortText


class CreatePremiseRequest(LenientInput, kw_only=True):
    object_id: Id | None = None
    address: ShortText
    number: ShortText
    role: Literal["owner", "resident", "representative", "tenant", "unconfirmed_owner"] = "owner"
    comment: ShortText | None = None


class PremiseRequestCreated(Output, kw_only=True):
    id: str
    status: str
