"""Abuse limits counted in Redis: fixed windows keyed by the injected clock, so tests move time
instead of waiting, and every process shares the counts.

While Redis is away (its breaker open, core/infra/breaker.py) the same windows are counted in the process
(core/infra/local_counts.py): the limits still hold, per process."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.infra.breaker import DependencyDown
from core.errors import Common, ErrorCode, RateLimited
from core.infra.redis_scripts import tag
from core.infra.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    limit: int
    window_seconds: int
    message: str = "Слишком много запросов. Повторите позже"
    # The code of the refusal past the limit, from its area's table.
    code: ErrorCode = Common.RATE_LIMITED


def window(rt: Runtime, rule: Limit, subject: str, *, slot: str | None = None) -> tuple[str, float]:
    """The counter key of `subject` in the current window, and the window's end (epoch seconds).
    The key is hash-tagged with the subject, or with `slot` for a counter a script updates with
    keys of other subjects (on a Redis Cluster, the keys of one script share a slot)."""
    now = rt.clock.now().timestamp()
    number = int(now // rule.window_seconds)
    subject = tag(subject) if slot is None else f"{tag(slot)}:{subject}"
    return f"rl:{rule.name}:{subject}:{number}", (number + 1) * rule.window_seconds


def check(rt: Runtime, rule: Limit, count: int, ends_at: float) -> None:
    """Refuse when a counter read in a pipeline of the caller's is past the limit."""
    if 0 < rule.limit < count:
        retry_after = max(1, math.ceil(ends_at - rt.clock.now().timestamp()))
        raise RateLimited(rule.message, retry_after=retry_after, code=rule.code)


async def hit(rt: Runtime, rule: Limit, subject: str, *, cost: int = 1) -> None:
    """Count one more event of `subject`; past the limit, refuse with Retry-After to the window's end."""
    if rule.limit <= 0:
        return
    key, ends_at = window(rt, rule, subject)

    async def count_in_redis() -> int:
        pipe = rt.redis.pipeline(transaction=False)
        pipe.incrby(key, cost)
        pipe.expire(key, rule.window_seconds * 2)
        counted, _ = await pipe.execute()
        return counted

    try:
        count = await rt.redis_breaker.run(count_in_redis)
    except DependencyDown:
        count = count_locally(rt, key, cost, rule.window_seconds * 2)
    check(rt, rule, count, ends_at)


_REFUND = "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('DECRBY', KEYS[1], ARGV[1]) end return 0"


async def refund(rt: Runtime, rule: Limit, subject: str, *, cost: int = 1) -> None:
    """Give back what hit() counted for an event that turned out not to count (a success): an
    attempt is counted before it is tried, so that attempts made at once cannot pass the limit
    together."""
    if rule.limit <= 0:
        return
    key, _ = window(rt, rule, subject)
    try:
        await rt.redis_breaker.run(lambda: rt.redis.eval(_REFUND, 1, key, cost))
    except DependencyDown:
        rt.local_counts.incr(key, -cost, now=rt.clock.now().timestamp(), ttl=rule.window_seconds)


def count_locally(rt: Runtime, key: str, cost: int, ttl: float) -> int:
    """Count in the process, while Redis is away."""
    return rt.local_counts.incr(key, cost, now=rt.clock.now().timestamp(), ttl=ttl)


async def forget(rt: Runtime, rule: Limit, subject: str) -> None:
    key, _ = window(rt, rule, subject)
    rt.local_counts.delete(key)
    try:
        await rt.redis_breaker.run(lambda: rt.redis.delete(key))
    except DependencyDown:
        pass
