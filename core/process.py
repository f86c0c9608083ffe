"""A process's runtime as the server, the worker and the tools open it: the infrastructure's runtime
(core/infra/runtime.py) with the domain's parts plugged in."""

from __future__ import annotations

from datetime import datetime

from core.auth.service import mark_ended_sessions
from core.infra.clock import Clock
from core.infra.runtime import Runtime
from core.infra.runtime import open_runtime as open_infra_runtime
from core.infra.settings import Settings
from core.screen_cache import ScreenCache, renew_all


async def renew_screens(rt: Runtime, down_since: datetime) -> None:  # noqa: ARG001
    """The screens' generations missed the writes made while Redis was away: every cached answer
    turns stale."""
    await renew_all(rt.redis)


# Run in this order when Redis answers again: the screens first, then the sessions ended while it
# was away get their DEAD state, over an ALIVE it may still hold from before.
REDIS_RECOVERY = (renew_screens, mark_ended_sessions)


def open_runtime(settings: Settings, *, clock: Clock | None = None, pool_size: int | None = None) -> Runtime:
    def screens(redis, breaker) -> ScreenCache | None:
        if settings.screen_cache_seconds <= 0:
            return None
        return ScreenCache(redis, settings.screen_cache_seconds, breaker=breaker)

    return open_infra_runtime(settings, clock=clock, pool_size=pool_size, screens=screens,
                              redis_recovery=REDIS_RECOVERY)
