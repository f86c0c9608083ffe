"""Circuit breakers, one per dependency and process: a dependency that is down costs a request only a
flag check, until one caller probes it (README: When Redis or PostgreSQL is away)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import exc as sa_exc

from core.infra.clock import Clock
from core.errors import ServiceUnavailable

log = logging.getLogger(__name__)
T = TypeVar("T")

COOL_DOWN_SECONDS = 3.0


class DependencyDown(ServiceUnavailable):
    """The dependency is skipped (its breaker is open) or has just failed. Uncaught, it answers
    503 with Retry-After."""

    code = "service_unavailable"

    def __init__(self, name: str, retry_after: int = int(COOL_DOWN_SECONDS)) -> None:
        super().__init__("Сервис временно недоступен, повторите попытку позже", retry_after=retry_after)
        self.dependency = name


class Breaker:
    def __init__(self, name: str, clock: Clock, *, errors: tuple[type[BaseException], ...],
                 cool_down: float = COOL_DOWN_SECONDS,
                 probe: Callable[[datetime], Awaitable[None]] | None = None) -> None:
        self.name = name
        self.clock = clock
        self.errors = errors
        self.cool_down = timedelta(seconds=cool_down)
        self.probe = probe
        self.down_since: datetime | None = None  # the first failure of the current outage
        self._retry_at: datetime | None = None

    @property
    def closed(self) -> bool:
        """The dependency answered last time it was asked."""
        return self.down_since is None

    def retry_after(self) -> int:
        """Seconds until the next probe (at least 1)."""
        if self._retry_at is None:
            return 1
        return max(1, int((self._retry_at - self.clock.now()).total_seconds() + 0.999))

    def attempt(self) -> bool:
        """Whether the caller may use the dependency now. While open, True once per cool-down:
        that caller is the probe and reports `succeeded()` or `failed()` (a probe that never
        reports holds the others back for one cool-down only)."""
        if self.down_since is None:
            return True
        now = self.clock.now()
        if now < self._retry_at:
            return False
        self._retry_at = now + self.cool_down
        return True

    def succeeded(self) -> None:
        if self.down_since is not None:
            log.warning("%s is back (down since %s)", self.name, self.down_since.isoformat())
        self.down_since = self._retry_at = None

    def failed(self, exc: BaseException | None = None) -> None:
        now = self.clock.now()
        if self.down_since is None:
            log.warning("%s is unavailable (%s); skipped for %.0f s, then probed", self.name,
                        type(exc).__name__ if exc else "failed", self.cool_down.total_seconds())
            self.down_since = now
        self._retry_at = now + self.cool_down

    def reset(self) -> None:
        """Closed, the outage forgotten (tests)."""
        self.down_since = self._retry_at = None

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call()`, unless the dependency is skipped; DependencyDown when skipped or failing."""
        if self.down_since is not None:
            if not self.attempt():
                raise DependencyDown(self.name, self.retry_after())
            since = self.down_since
            try:
                if self.probe is not None:
                    await self.probe(since)
            except Exception as exc:  # noqa: BLE001 - any failure of the probe keeps the breaker open
                self.failed(exc)
                raise DependencyDown(self.name, self.retry_after()) from exc
            self.succeeded()
        try:
            return await call()
        except self.errors as exc:
            self.failed(exc)
            raise DependencyDown(self.name, self.retry_after()) from exc


def database_down(exc: BaseException) -> bool:
    """Whether an error says PostgreSQL (or the connection to it) is gone, not that a statement
    is wrong: connection failures, the pool's timeout, and the server's own "shutting down",
    "starting up" and connection-class states (SQLSTATE 08, 57)."""
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated or isinstance(exc, (sa_exc.OperationalError, sa_exc.InterfaceError)):
            return True
        state = str(getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None) or "")
        return state[:2] in ("08", "57")
    return isinstance(exc, (sa_exc.TimeoutError, OSError, TimeoutError))
