"""Stored files (premise documents) behind a small interface, so the local folder used in
development and tests can give way to an object store without touching the services."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

import anyio

from core.runtime import Runtime

CHUNK = 1024 * 1024


@runtime_checkable
class Storage(Protocol):
    async def put(self, key: str, source: BinaryIO) -> None:
        """Store the whole of `source` (read from its current position) under `key`."""

    def open(self, key: str) -> AsyncIterator[bytes]:
        """The stored bytes, chunk by chunk."""

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


def storage_of(rt: Runtime) -> Storage:
    """The process's storage: a folder under var_dir unless the runtime was given another one."""
    storage = rt.extras.get("storage")
    if storage is None:
        storage = rt.extras["storage"] = LocalStorage(Path(rt.settings.var_dir) / "files")
    return storage
