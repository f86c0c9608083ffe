"""The My Premise answer (APP-PREM-06): address, technical data, insurance and documents; and the row
of its SQL statement."""

from __future__ import annotations

import datetime as dt

from web.schemas import Output


class PremiseAddress(Output, kw_only=True):
    full: str
    postal_code: str | None = None


class PersonalAccountItem(Output, kw_only=True):
    number: str
    els: str | None = None
    legal_entity: str | None = None


class TechInfo(Output, kw_only=True):
    personal_accounts: list[PersonalAccountItem]
    total_area: str | None = None
    living_area: str | None = None
    meters_count: int


class InsuranceItem(Output, kw_only=True):
    policy_number: str
    insurer: str
    starts_on: dt.date
    ends_on: dt.date


class DocumentItem(Output, kw_only=True):
    id: str
    name: str
    description: str | None = None
    date: dt.date | None = None
    file_name: str
    size: int
    download_url: str


class PremiseScreen(Output, kw_only=True):
    """APP-PREM-06: My Premise."""

    id: str
    title: str
    type: str
    address: PremiseAddress
    tech: TechInfo
    insurance: list[InsuranceItem] | None = None
    documents: list[DocumentItem]


class PremiseRow(Output, kw_only=True):
    id: str
    type: str
    address: PremiseAddress
    tech: TechInfo
    insurance: list[InsuranceItem]
    documents: list[DocumentItem]
