"""One-time login codes in Redis: they expire, are single-use, and a code survives only a
limited number of wrong guesses. Time comes from the injected clock."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis


CODE_DIGITS = 6

# Atomically: refuse while the previous code is too fresh, else store the new one.
_ISSUE = """
local sent = redis.call('HGET', KEYS[1], 'sent_at')
if sent and tonumber(ARGV[1]) < tonumber(sent) + tonumber(ARGV[2]) then
  return math.ceil(tonumber(sent) + tonumber(ARGV[2]) - tonumber(ARGV[1]))
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'code_hash', ARGV[3], 'expires_at', ARGV[4], 'sent_at', ARGV[1], 'attempts', 0)
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 0
"""

# Atomically: check expiry, count the attempt, consume the code on success.
_VERIFY = """
local h = redis.call('HMGET', KEYS[1], 'code_hash', 'expires_at')
if not h[1] then return 'missing' end
if tonumber(ARGV[1]) >= tonumber(h[2]) then redis.call('DEL', KEYS[1]) return 'expired' end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
if attempts > tonumber(ARGV[3]) then redis.call('DEL', KEYS[1]) return 'exhausted' end
if h[1] == ARGV[2] then redis.call('DEL', KEYS[1]) return 'ok' end
if attempts >= tonumber(ARGV[3]) then
  redis.call('HSET', KEYS[1], 'code_hash', '-')
  return 'exhausted'
end
return 'wrong:' .. (tonumber(ARGV[3]) - attempts)
"""


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: str  # ok | missing | expired | exhausted | wrong
    attempts_left: int = 0


def _key(phone: str) -> str:
    return f"otp:{phone}"


def _hash(phone: str, code: str, key: str) -> str:
    """Keyed: a code has only a million values, so a plain hash in a Redis dump or replica would
    give it away at once; without the server's secret this one gives nothing."""
    return hmac.new(key.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


async def store_code(redis: aioredis.Redis, phone: str, code: str, *, key: str, now: float, ttl: int,
                     resend_interval: int) -> int:
    """Store a fresh code (only its keyed hash); returns 0, or the seconds to wait before a new
    code may be sent."""
    keep = ttl + resend_interval + 60
    return int(await redis.eval(_ISSUE, 1, _key(phone), now, resend_interval, _hash(phone, code, key), now + ttl,
                                keep))


async def forget_code(redis: aioredis.Redis, phone: str) -> None:
    await redis.delete(_key(phone))


async def check_code(redis: aioredis.Redis, phone: str, code: str, *, key: str, now: float,
                     max_attempts: int) -> Verdict:
    result = str(await redis.eval(_VERIFY, 1, _key(phone), now, _hash(phone, code, key), max_attempts))
    if result.startswith("wrong:"):
        return Verdict("wrong", int(result.split(":", 1)[1]))
    return Verdict(result)


async def resend_wait(redis: aioredis.Redis, phone: str, *, now: float, resend_interval: int) -> int:
    sent = await redis.hget(_key(phone), "sent_at")
    if sent is None:
        return 0
    return max(0, int(float(sent) + resend_interval - now + 0.999))
