"""Files over HTTP: the storage dependency and a stored document as a download."""

from __future__ import annotations

from collections.abc import AsyncIterator
from urllib.parse import quote

from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Stream

from core.errors import NotFound
from core.models import Document
from core.infra.runtime import Runtime
from core.infra.storage import Storage, storage_of


async def provide_storage(runtime: Runtime) -> Storage:
    return storage_of(runtime)


STORAGE = {"storage": Provide(provide_storage)}

FILE_RESPONSE = {200: ResponseSpec(data_container=bytes, media_type="*/*", generate_examples=False,
                                   description="The stored file, with its own content type")}


def content_disposition(file_name: str) -> str:
    """An ASCII fallback for old clients and the real (often Cyrillic) name per RFC 6266/5987."""
    fallback = file_name.encode("ascii", "replace").decode().replace('"', "_").replace("?", "_")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(file_name, safe='')}"


async def stored(storage: Storage, key: str, *, missing: str) -> AsyncIterator[bytes]:
    """The bytes under `key`, the first chunk already read: a file the storage does not hold
    answers 404 `missing` before any header is sent, never a 200 with an empty or cut body."""
    chunks = storage.open(key)
    try:
        first = await anext(chunks)
    except FileNotFoundError:
        raise NotFound(missing) from None
    except StopAsyncIteration:
        first = b""

    async def rest() -> AsyncIterator[bytes]:
        yield first
        async for chunk in chunks:
            yield chunk

    return rest()


async def download(storage: Storage, document: Document) -> Stream:
    chunks = await stored(storage, document.storage_key, missing="Файл документа не найден")
    return Stream(chunks, media_type=document.content_type, headers={
        "Content-Disposition": content_disposition(document.file_name), "Content-Length": str(document.size),
        "X-Content-Type-Options": "nosniff"})
