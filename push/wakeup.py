"""Waking an idle push worker at once, on PostgreSQL's notification of a committed push.

A connection of its own LISTENs on `push_outbox`, which PostgreSQL notifies when a push or a push
mailing is committed (migration 0006). The idle poll stays the fallback: while the connection is
down (a restart, PgBouncer in transaction mode, where notifications do not arrive) a worker still
finds its work at the next poll."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import asyncpg

from core.infra.database_url import connect_options

log = logging.getLogger(__name__)
CHANNEL = "push_outbox"
# A connection that vanished without a word (a network partition) is noticed by this check.
CHECK_SECONDS = 30.0
RECONNECT_SECONDS = 5.0


class Wakeup:
    """`wait` returns when a notification arrived since the last one it returned for, when
    `stop` is set, or after the poll's timeout, whichever is first."""

    def __init__(self, database_url: str | None, *, reconnect_seconds: float = RECONNECT_SECONDS) -> None:
        self.database_url = database_url
        self.reconnect_seconds = reconnect_seconds
        self.event = asyncio.Event()
        self.listening = asyncio.Event()  # set while the connection LISTENs (tests wait for it)
        self.backend_pid: int | None = None  # the listening connection's server process
        self.idle = asyncio.Event()  # set while a worker waits with no wake-up pending

    def _notified(self, *_args: object) -> None:
        self.event.set()

    async def wait(self, stop: asyncio.Event, timeout: float) -> None:
        if not self.event.is_set():
            self.idle.set()
        await _first(stop, self.event, timeout=timeout)
        self.event.clear()
        self.idle.clear()

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until `stop`, connecting again after a loss; without a database URL, nothing."""
        if not self.database_url:
            return
        while not stop.is_set():
            try:
                await self._listen(stop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the poll covers the time until the next connection
                log.warning("push wake-ups are off until PostgreSQL answers again (%s); polling meanwhile",
                            type(exc).__name__)
            self.listening.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.reconnect_seconds)

    async def _listen(self, stop: asyncio.Event) -> None:
        conn = await asyncpg.connect(**connect_options(self.database_url).asyncpg_args(timeout=5, command_timeout=10))
        lost = asyncio.Event()
        try:
            conn.add_termination_listener(lambda _conn: lost.set())
            await conn.add_listener(CHANNEL, self._notified)
            self.backend_pid = conn.get_server_pid()
            self.listening.set()
            # Whatever was committed while nobody listened is looked for now.
            self.event.set()
            while not (stop.is_set() or lost.is_set()):
                await _first(stop, lost, timeout=CHECK_SECONDS)
                if not (stop.is_set() or lost.is_set()):
                    await conn.execute("SELECT 1")
        finally:
            self.listening.clear()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), timeout=5)
            if not conn.is_closed():
                conn.terminate()


async def _first(*events: asyncio.Event, timeout: float) -> None:
    """Until one of the events is set, or the timeout."""
    waits = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiting in waits:
            waiting.cancel()
