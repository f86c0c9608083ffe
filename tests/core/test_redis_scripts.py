"""core/infra/redis_scripts.py against the real Redis: scripts run by digest, reloaded when Redis has
lost them, answers as raw bytes."""

from __future__ import annotations

from core.infra.redis_scripts import RawScript

_ECHO = RawScript("redis.call('SET', KEYS[1], ARGV[1]) return {redis.call('GET', KEYS[1]), #KEYS}")


async def test_a_script_runs_by_digest_and_again_after_redis_lost_it(runtime):
    """The per-request session check (and the screen check in it) keeps working when Redis
    forgets its scripts (a restart, SCRIPT FLUSH)."""
    key = "test:raw-script"
    assert await _ECHO(runtime.redis, [key], "Привет") == ["Привет".encode(), 1]  # bytes, not decoded
    assert await runtime.redis.script_exists(_ECHO.sha) == [True]
    await runtime.redis.script_flush()
    assert await _ECHO(runtime.redis, [key], "снова") == ["снова".encode(), 1]
    assert await runtime.redis.script_exists(_ECHO.sha) == [True]
    await runtime.redis.delete(key)
