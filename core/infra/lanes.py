"""Foreground and background work in one worker process.

Push delivery is foreground; a file import is background: between two of its chunks it waits until
the pushes in flight are out (and the pipeline has rested a moment), at most a bound, so a fan-out
keeps the process to itself and an import under steady push traffic still moves on."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

# How long the foreground must have rested before background work takes a turn, and the most a
# background step waits for that.
REST_SECONDS = 0.2
MAX_WAIT_SECONDS = 5.0


class Priority:
    def __init__(self) -> None:
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextlib.contextmanager
    def foreground(self) -> Iterator[None]:
        self._busy += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    @property
    def busy(self) -> bool:
        return self._busy > 0

    async def background_turn(self, max_wait: float = MAX_WAIT_SECONDS) -> None:
        """Return once the foreground has rested REST_SECONDS, or after `max_wait`."""
        if self._idle.is_set():
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max_wait):
                while True:
                    await self._idle.wait()
                    await asyncio.sleep(REST_SECONDS)  # the pipeline's next batch may be a moment away
                    if self._idle.is_set():
                        return


def priority_of(rt) -> Priority:
    """The process's one Priority (kept on the runtime)."""
    priority = rt.extras.get("priority")
    if priority is None:
        priority = rt.extras["priority"] = Priority()
    return priority
