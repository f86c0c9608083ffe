"""Abuse limits counted in Redis: fixed windows keyed by the injected clock, so tests move time
instead of waiting, and every process shares the counts."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.errors import RateLimited
from core.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    limit: int
    window_seconds: int
    message: str = "Слишком много запросов. Повторите позже"


async def hit(rt: Runtime, rule: Limit, subject: str, *, cost: int = 1) -> None:
    """Count one more event of `subject`; past the limit, refuse with Retry-After to the window's end."""
    if rule.limit <= 0:
        return
    now = rt.clock.now().timestamp()
    window = int(now // rule.window_seconds)
    key = f"rl:{rule.name}:{subject}:{window}"
    pipe = rt.redis.pipeline()
    pipe.incrby(key, cost)
    pipe.expire(key, rule.window_seconds * 2)
    count, _ = await pipe.execute()
    if count > rule.limit:
        retry_after = max(1, math.ceil((window + 1) * rule.window_seconds - now))
        raise RateLimited(rule.message, retry_after=retry_after, code=f"{rule.name}_limited")


async def is_blocked(rt: Runtime, rule: Limit, subject: str) -> int:
    """Seconds until `subject` may try again (0: not blocked), without counting an event."""
    now = rt.clock.now().timestamp()
    window = int(now // rule.window_seconds)
    count = await rt.redis.get(f"rl:{rule.name}:{subject}:{window}")
    if count is not None and int(count) >= rule.limit > 0:
        return max(1, math.ceil((window + 1) * rule.window_seconds - now))
    return 0


async def forget(rt: Runtime, rule: Limit, subject: str) -> None:
    now = rt.clock.now().timestamp()
    await rt.redis.delete(f"rl:{rule.name}:{subject}:{int(now // rule.window_seconds)}")
