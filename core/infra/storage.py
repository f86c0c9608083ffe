"""Where files are kept and how they stream in and out: a local folder or S3-compatible storage, as
STORAGE_URL says (README: Configuration)."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Protocol, runtime_checkable
from urllib.parse import unquote, urlsplit

import anyio

if TYPE_CHECKING:
    from core.infra.runtime import Runtime
    from core.infra.settings import Settings

CHUNK = 1024 * 1024
# S3 parts: 5 MiB is S3's smallest part; two in flight keep an upload's memory near 10 MiB.
PART_SIZE = 5 * 1024 * 1024
PARTS_IN_FLIGHT = 2
# A download is fetched this much at a time: each request is short whatever the client's pace.
RANGE_SIZE = 4 * 1024 * 1024


@runtime_checkable
class Storage(Protocol):
    async def put(self, key: str, source: BinaryIO) -> None:
        """Store the whole of `source` (read from its current position) under `key`."""

    def open(self, key: str) -> AsyncIterator[bytes]:
        """The stored bytes, chunk by chunk; FileNotFoundError when `key` holds nothing."""

    async def delete(self, key: str) -> None:
        """Forget `key`; a missing key is no error."""


class LocalStorage:
    """Files in a folder. Keys are made by the services (never from user input), and still
    checked to stay inside the folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"storage key outside the storage folder: {key!r}")
        return path

    async def put(self, key: str, source: BinaryIO) -> None:
        path = self._path(key)

        def write() -> None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as target:
                shutil.copyfileobj(source, target, CHUNK)

        await anyio.to_thread.run_sync(write)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        async with await anyio.open_file(self._path(key), "rb") as source:
            while chunk := await source.read(CHUNK):
                yield chunk

    async def delete(self, key: str) -> None:
        await anyio.to_thread.run_sync(lambda: self._path(key).unlink(missing_ok=True))


class S3Storage:
    """Objects in an S3-compatible bucket, under `prefix`."""

    def __init__(self, bucket: str, prefix: str = "", *, endpoint: str | None = None, region: str | None = None,
                 access_key_id: str | None = None, secret_access_key: str | None = None) -> None:
        from obstore.store import S3Store

        config = {key: value for key, value in (
            ("endpoint", endpoint), ("region", region), ("access_key_id", access_key_id),
            ("secret_access_key", secret_access_key)) if value}
        self.bucket, self.prefix = bucket, prefix.strip("/")
        self._store = S3Store(bucket, prefix=self.prefix or None, config=config, client_options={
            # a local MinIO or test server speaks plain HTTP; a real endpoint keeps HTTPS only
            "allow_http": bool(endpoint and endpoint.startswith("http://")),
            "connect_timeout": "5s", "timeout": "60s"})

    async def put(self, key: str, source: BinaryIO) -> None:
        import obstore

        # A file longer than one part goes up as a multipart upload, read part by part.
        await obstore.put_async(self._store, key, source, chunk_size=PART_SIZE, max_concurrency=PARTS_IN_FLIGHT)

    async def open(self, key: str) -> AsyncIterator[bytes]:
        import obstore

        head = await obstore.head_async(self._store, key)  # FileNotFoundError when missing
        size, offset = head["size"], 0
        while offset < size:
            # Each range is read from the version the HEAD saw, should the key be written meanwhile.
            options = {"range": (offset, min(offset + RANGE_SIZE, size))}
            if head["e_tag"]:
                options["if_match"] = head["e_tag"]
            result = await obstore.get_async(self._store, key, options=options)
            async for chunk in result.stream(min_chunk_size=CHUNK):
                offset += len(chunk)
                yield bytes(chunk)

    async def delete(self, key: str) -> None:
        import obstore

        await obstore.delete_async(self._store, key)  # S3 deletes a missing key without complaint


def storage_from(settings: Settings) -> Storage:
    """The storage STORAGE_URL names (see the module text); ValueError says what is wrong."""
    url = settings.storage_url
    if not url:
        return LocalStorage(Path(settings.var_dir) / "files")
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            raise ValueError("STORAGE_URL=file:// needs an absolute path: file:///srv/files")
        return LocalStorage(Path(unquote(parts.path)))
    if parts.scheme == "s3":
        if not parts.netloc:
            raise ValueError("STORAGE_URL=s3:// needs a bucket: s3://bucket/prefix")
        return S3Storage(parts.netloc, unquote(parts.path), endpoint=settings.s3_endpoint_url,
                         region=settings.aws_region, access_key_id=settings.aws_access_key_id,
                         secret_access_key=settings.aws_secret_access_key)
    raise ValueError(f"STORAGE_URL must be file:///path or s3://bucket/prefix (not {parts.scheme}://)")


def storage_of(rt: Runtime) -> Storage:
    """The process's storage, made from its settings on first use unless the runtime was given one."""
    storage = rt.extras.get("storage")
    if storage is None:
        storage = rt.extras["storage"] = storage_from(rt.settings)
    return storage
