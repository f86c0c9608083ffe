"""Bodies of My Data (APP-DATA-01): the screen, the partial account update and the photo upload."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from litestar.datastructures import UploadFile
from msgspec import UNSET, Meta, UnsetType

from web.schemas import Email, Input, Output

NamePart = Annotated[str, Meta(min_length=1, max_length=100)]
AccountType = Literal["individual", "sole_proprietor", "legal_entity", "foreign_branch"]


class MyDataScreen(Output, kw_only=True):
    """APP-DATA-01: `editable` names what the resident may change; phone and gender never."""

    type: str
    last_name: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    name: str | None = None
    birth_date: dt.date | None = None
    email: str | None = None
    phone: str
    gender: str | None = None
    photo_url: str | None = None
    editable: list[str]


class UpdateMeRequest(Input, kw_only=True):
    """Only the fields sent change. `phone` and `gender` are refused with 403 (not editable)."""

    type: AccountType | UnsetType = UNSET
    last_name: NamePart | None | UnsetType = UNSET
    first_name: NamePart | None | UnsetType = UNSET
    middle_name: NamePart | None | UnsetType = UNSET
    name: Annotated[str, Meta(min_length=1, max_length=300)] | None | UnsetType = UNSET
    birth_date: dt.date | None | UnsetType = UNSET
    email: Email | None | UnsetType = UNSET
    phone: str | None | UnsetType = UNSET
    gender: str | None | UnsetType = UNSET


class UploadPhotoRequest(Input, kw_only=True):
    """multipart/form-data with the image in `file` (JPEG, PNG, WebP or HEIC; at most 10 MB)."""

    file: UploadFile
