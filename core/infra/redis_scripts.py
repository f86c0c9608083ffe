"""Lua scripts run by their digest, their answers left as the bytes Redis sent; and what keeps
the keys of one script on one Redis Cluster slot."""

from __future__ import annotations

import hashlib

import redis.asyncio as aioredis
from redis.asyncio.cluster import RedisCluster
from redis.client import NEVER_DECODE
from redis.exceptions import NoScriptError


def is_cluster(redis) -> bool:
    """A client of a Redis Cluster (REDIS_URL `?cluster=true` or REDIS_CLUSTER_NODES): the keys of
    one script, transaction or multi-key command must share a slot there."""
    return isinstance(redis, RedisCluster)


def tag(value: object) -> str:
    """The hash tag of a key: keys with the same tag share a Redis Cluster slot, whatever else
    they hold (a session's state, rate counter, touch mark and cached screens)."""
    return f"{{{value}}}"


class RawScript:
    """A script sent by its SHA1 and loaded on first use (or after Redis lost its scripts). Unlike
    redis-py's own Script, its answers are not decoded: a cached screen answer goes out as it is,
    neither decoded nor encoded again. Every key it touches is one of `keys`; on a cluster they
    must share a slot (the client refuses them otherwise)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, redis: aioredis.Redis | RedisCluster, keys: list[str], *args):
        try:
            return await redis.execute_command("EVALSHA", self.sha, len(keys), *keys, *args, **{NEVER_DECODE: True})
        except NoScriptError:
            return await redis.execute_command("EVAL", self.source, len(keys), *keys, *args, **{NEVER_DECODE: True})
