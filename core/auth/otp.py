"""Issues and checks the SMS login codes, kept in Redis under per-phone and platform quotas
(README: Architecture, behind the modules)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

import redis.asyncio as aioredis

from core.infra.redis_scripts import tag


CODE_DIGITS = 6

# Atomically: refuse while the previous code is too fresh (a burned one may be replaced at once),
# refuse when one of the counters (the phone's codes this hour, the platform's SMS budget) is
# full, else count the code in each and store it. Only codes that are issued are counted.
_ISSUE = """
local h = redis.call('HMGET', KEYS[1], 'sent_at', 'code_hash')
if h[1] and h[2] ~= '-' and tonumber(ARGV[1]) < tonumber(h[1]) + tonumber(ARGV[2]) then
  return {'too_soon', math.ceil(tonumber(h[1]) + tonumber(ARGV[2]) - tonumber(ARGV[1]))}
end
for i = 2, #KEYS do
  local limit = tonumber(ARGV[2 + 2 * i])
  if limit > 0 and tonumber(redis.call('GET', KEYS[i]) or '0') >= limit then return {'full', i - 1} end
end
for i = 2, #KEYS do
  if tonumber(ARGV[2 + 2 * i]) > 0 then
    redis.call('INCR', KEYS[i])
    redis.call('EXPIRE', KEYS[i], ARGV[3 + 2 * i])
  end
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'code_hash', ARGV[3], 'expires_at', ARGV[4], 'sent_at', ARGV[1], 'attempts', 0)
redis.call('EXPIRE', KEYS[1], ARGV[5])
return {'ok', 0}
"""

# Give back an issued code's counts (its SMS could not be sent) and forget it.
_WITHDRAW = """
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then redis.call('DECR', KEYS[i]) end
end
return 0
"""

# Atomically: check expiry, accept the right code (consumed), count a wrong one against the code
# and against the phone's wrong codes this hour (KEYS[2], a backstop when codes are many); the
# code is burned at its last allowed wrong guess, or at any once the phone's count is full. A
# burned code answers nothing but "exhausted" until a new one replaces it.
_VERIFY = """
local h = redis.call('HMGET', KEYS[1], 'code_hash', 'expires_at')
if not h[1] then return 'missing' end
if tonumber(ARGV[1]) >= tonumber(h[2]) then redis.call('DEL', KEYS[1]) return 'expired' end
if h[1] == '-' then return 'exhausted' end
if h[1] == ARGV[2] then redis.call('DEL', KEYS[1]) return 'ok' end
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
local phone_full = false
if tonumber(ARGV[4]) > 0 then
  local wrong = redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], ARGV[5])
  phone_full = wrong >= tonumber(ARGV[4])
end
if attempts >= tonumber(ARGV[3]) or phone_full then
  redis.call('HSET', KEYS[1], 'code_hash', '-')
  return 'exhausted'
end
return 'wrong:' .. (tonumber(ARGV[3]) - attempts)
"""


@dataclass(frozen=True, slots=True)
class Counter:
    """A fixed-window counter (core.infra.ratelimit.window): its key, its limit (0: none) and how long
    its key is kept."""

    key: str
    limit: int
    keep_seconds: int


@dataclass(frozen=True, slots=True)
class Issue:
    outcome: str  # ok | too_soon | full
    wait: int = 0  # too_soon: seconds until a new code may be sent
    counter: int = -1  # full: the index of the counter that is full


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: str  # ok | missing | expired | exhausted | wrong
    attempts_left: int = 0


# The hash tag of every key the login-code scripts touch: a code is counted, in one script, in
# its phone's quota and in the platform's one SMS budget, so on a Redis Cluster they all share one
# slot (as busy as codes are sent).
SLOT = "otp"


def _key(phone: str) -> str:
    return f"otp:{tag(SLOT)}:{phone}"


def _hash(phone: str, code: str, key: str) -> str:
    """Keyed: a code has only a million values, so a plain hash in a Redis dump or replica would
    give it away at once; without the server's secret this one gives nothing."""
    return hmac.new(key.encode(), f"{phone}:{code}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"


async def issue_code(redis: aioredis.Redis, phone: str, code: str, *, key: str, now: float, ttl: int,
                     resend_interval: int, counters: list[Counter]) -> Issue:
    """Store a fresh code for `phone` and count it in each of `counters`, unless the previous code
    is too fresh or a counter is full (then nothing is stored or counted)."""
    keep = ttl + resend_interval + 60
    args: list[object] = [now, resend_interval, _hash(phone, code, key), now + ttl, keep]
    for counter in counters:
        args += [counter.limit, counter.keep_seconds]
    outcome, value = await redis.eval(_ISSUE, 1 + len(counters), _key(phone), *(c.key for c in counters), *args)
    outcome = outcome.decode() if isinstance(outcome, bytes) else outcome
    if outcome == "too_soon":
        return Issue("too_soon", wait=int(value))
    if outcome == "full":
        return Issue("full", counter=int(value) - 1)
    return Issue("ok")


async def withdraw_code(redis: aioredis.Redis, phone: str, counters: list[Counter]) -> None:
    """Forget the code just issued and give back its counts (its SMS was not sent)."""
    await redis.eval(_WITHDRAW, 1 + len(counters), _key(phone), *(c.key for c in counters))


async def check_code(redis: aioredis.Redis, phone: str, code: str, *, key: str, now: float, max_attempts: int,
                     phone_wrong: Counter) -> Verdict:
    """Check `code` against the phone's issued code; `phone_wrong` counts the phone's wrong codes."""
    result = await redis.eval(_VERIFY, 2, _key(phone), phone_wrong.key, now, _hash(phone, code, key), max_attempts,
                              phone_wrong.limit, phone_wrong.keep_seconds)
    result = result.decode() if isinstance(result, bytes) else str(result)
    if result.startswith("wrong:"):
        return Verdict("wrong", int(result.split(":", 1)[1]))
    return Verdict(result)
