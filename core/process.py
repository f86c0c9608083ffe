"""A process's runtime as the server, the worker and the tools open it: the infrastructure's runtime
(core/infra/runtime.py) with the domain's parts plugged in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core.auth.service import mark_ended_sessions
from core.changes import EVERYONE
from core.infra.clock import Clock
from core.infra.db import session_factory
from core.infra.generations import Generations
from core.infra.runtime import Runtime
from core.infra.runtime import open_runtime as open_infra_runtime
from core.infra.settings import Settings
from core.writes import track, verify

# What every session of the domain gets: its writes announced and published after commit.
TRACKED = (track,)
# The same, each commit checking first that every table it wrote was announced (APP_ENV=test).
VERIFIED = (track, verify)


async def renew_screens(rt: Runtime, down_since: datetime) -> None:  # noqa: ARG001
    """The generations missed the writes made while Redis was away: every cached answer turns
    stale."""
    await generations(rt.redis).renew_all()


# Run in this order when Redis answers again: the screens first, then the sessions ended while it
# was away get their DEAD state, over an ALIVE it may still hold from before.
REDIS_RECOVERY = (renew_screens, mark_ended_sessions)


def generations(redis, breaker=None) -> Generations:
    """The generation store of the domain's changes (core/changes.py), rooted at EVERYONE's."""
    return Generations(redis, root=EVERYONE.key, breaker=breaker)


def sessions(bind, *, checked: bool = False, **options) -> async_sessionmaker[AsyncSession]:
    """The domain's session factory on `bind` (core.infra.db.session_factory's options), its writes
    tracked and, `checked` (the tests'), their announcements verified (core/writes.py `verify`)."""
    return session_factory(bind, hooks=VERIFIED if checked else TRACKED, **options)


def open_runtime(settings: Settings, *, clock: Clock | None = None, pool_size: int | None = None) -> Runtime:
    def published(redis, breaker) -> Generations | None:
        if settings.screen_cache_seconds <= 0:
            return None
        return generations(redis, breaker)

    return open_infra_runtime(settings, clock=clock, pool_size=pool_size, generations=published,
                              session_hooks=VERIFIED if settings.app_env == "test" else TRACKED,
                              redis_recovery=REDIS_RECOVERY)
