"""Generations in Redis: one random token per key, replaced to say "what was read under the old one
is stale". Renewed after commits (core/infra/db.py), read to stamp what is cached."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from core.infra.breaker import Breaker, DependencyDown
from core.infra.redis_scripts import RawScript, is_cluster

log = logging.getLogger(__name__)

# A generation leaves Redis a day after its last renewal; what was stamped with one that expired
# fails its check, and the next read makes a new one.
GENERATION_TTL_SECONDS = 86_400

_ensure = RawScript("""
local out = {}
for i = 1, #KEYS do
  redis.call('SET', KEYS[i], ARGV[1], 'NX', 'EX', TTL)
  out[i] = redis.call('GET', KEYS[i])
end
return out
""".replace("TTL", str(GENERATION_TTL_SECONDS)))


def new_token() -> str:
    """A generation: 128 random bits (a generation is compared, never guessed at: no need for the
    system's entropy, which costs a system call on every cached read)."""
    return f"{random.getrandbits(128):032x}"


class Generations:
    """The generations of one Redis. `root` is the key every stamp includes: renewing it makes
    everything stamped before stale (after an outage, when renewals may have been lost)."""

    def __init__(self, redis: aioredis.Redis, *, root: str, breaker: Breaker | None = None) -> None:
        self.redis = redis
        self.root = root
        # The runtime's Redis breaker: while it is open, Redis is skipped, not waited for.
        self.breaker = breaker

    async def run(self, call):
        if self.breaker is None:
            return await call()
        return await self.breaker.run(call)

    async def renew(self, keys: Iterable[str]) -> None:
        """After a committed write: what was stamped with these keys' generations is stale."""
        keys = list(keys)
        if not keys:
            return

        async def renew() -> None:
            async with self.redis.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.set(key, new_token(), ex=GENERATION_TTL_SECONDS)
                await pipe.execute()

        try:
            await self.run(renew)
        except DependencyDown:
            pass  # Redis away: the root is renewed when it answers again (renew_all)
        except RedisError as exc:
            log.warning("generations could not be renewed (%s); what they stamp is stale only when "
                        "it expires", type(exc).__name__)

    async def renew_all(self) -> None:
        """Everything stamped until now is stale (after a Redis outage)."""
        await self.redis.set(self.root, new_token(), ex=GENERATION_TTL_SECONDS)

    async def read(self, keys: list[str]) -> list[bytes] | None:
        """The current generations of `keys`, made where missing, as raw bytes; None when Redis
        is away or could not tell one."""
        if not keys:
            return []
        try:
            if is_cluster(self.redis):
                found = await self.run(lambda: _ensure_apart(self.redis, keys, new_token()))
            else:
                found = await self.run(lambda: _ensure(self.redis, keys, new_token()))
        except (RedisError, DependencyDown):
            return None
        return None if None in found else found


async def _ensure_apart(redis, keys: list[str], token: str) -> list[bytes | None]:
    """`_ensure` on a cluster, where the generations lie on many slots: one pipeline (a round trip
    to each node concerned, at once) of SET NX and GET for each key."""
    async with redis.pipeline(transaction=False) as pipe:
        ensure_in(pipe, keys, token)
        answers = await pipe.execute()
    return [raw(answer) for answer in answers[1::2]]


def ensure_in(pipe, keys: list[str], token: str) -> None:
    """Queue, for each key, its generation made when missing (SET NX) and read (GET)."""
    for key in keys:
        pipe.set(key, token, nx=True, ex=GENERATION_TTL_SECONDS)
        pipe.get(key)


def raw(value: str | bytes | None) -> bytes | None:
    """A generation as the raw bytes a script answers (tokens are ASCII)."""
    return value.encode() if isinstance(value, str) else value
