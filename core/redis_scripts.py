"""Lua scripts run by their digest, their answers left as the bytes Redis sent."""

from __future__ import annotations

import hashlib

import redis.asyncio as aioredis
from redis.client import NEVER_DECODE
from redis.exceptions import NoScriptError


class RawScript:
    """A script sent by its SHA1 and loaded on first use (or after Redis lost its scripts). Unlike
    redis-py's own Script, its answers are not decoded: a cached screen answer goes out as it is,
    neither decoded nor encoded again."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode()).hexdigest()

    async def __call__(self, redis: aioredis.Redis, keys: list[str], *args):
        try:
            return await redis.execute_command("EVALSHA", self.sha, len(keys), *keys, *args, **{NEVER_DECODE: True})
        except NoScriptError:
            return await redis.execute_command("EVAL", self.source, len(keys), *keys, *args, **{NEVER_DECODE: True})
