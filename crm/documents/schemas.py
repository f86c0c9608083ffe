"""Bodies of premise documents (CRM-DOC-01): the upload and edit requests, the card and the list."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar.datastructures import UploadFile
from msgspec import UNSET, Meta, UnsetType

from web.schemas import Input, Output

DocumentName = Annotated[str, Meta(min_length=1, max_length=300)]
Description = Annotated[str, Meta(max_length=5000)]


class UploadDocumentRequest(Input, kw_only=True):
    """multipart/form-data: the fields and the file (at most 20 MB; PDF, images, office documents)."""

    name: DocumentName
    description: Description | None = None
    date: dt.date | None = None
    is_public: bool = True
    file: UploadFile


class UpdateDocumentRequest(Input, kw_only=True):
    name: DocumentName | UnsetType = UNSET
    description: Description | None | UnsetType = UNSET
    date: dt.date | None | UnsetType = UNSET
    is_public: bool | UnsetType = UNSET


class DocumentCard(Output, kw_only=True):
    id: str
    premise_id: str
    name: str
    description: str | None
    date: dt.date | None
    is_public: bool
    file_name: str
    content_type: str
    size: int
    download_url: str
    created_at: dt.datetime


class DocumentList(Output, kw_only=True):
    items: list[DocumentCard]
    next_cursor: str | None
