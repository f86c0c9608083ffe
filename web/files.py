"""Files over HTTP: the storage dependency and a stored document as a download."""

from __future__ import annotations

from urllib.parse import quote

from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Stream

from core.models import Document
from core.runtime import Runtime
from core.storage import Storage, storage_of


async def provide_storage(runtime: Runtime) -> Storage:
    return storage_of(runtime)


STORAGE = {"storage": Provide(provide_storage)}

FILE_RESPONSE = {200: ResponseSpec(data_container=bytes, media_type="*/*", generate_examples=False,
                                   description="The stored file, with its own content type")}


def content_disposition(file_name: str) -> str:
    """An ASCII fallback for old clients and the real (often Cyrillic) name per RFC 6266/5987."""
    fallback = file_name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


def download(storage: Storage, document: Document) -> Stream:
    return Stream(storage.open(document.storage_key), media_type=document.content_type, headers={
        "Content-Disposition": content_disposition(document.file_name), "Content-Length": str(document.size),
        "X-Content-Type-Options": "nosniff"})
