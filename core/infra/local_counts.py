"""Counters kept in the process: what the abuse limits count while Redis is away
(core/infra/ratelimit.py).

They are per process (each API process lets the full limit through), forgotten on restart, and keyed
like the Redis counters, so a limit reads the same key whichever store holds it."""

from __future__ import annotations

# Beyond this many live keys the expired ones are dropped before a new one is added: an outage
# of an hour at a few thousand subjects stays a few megabytes.
_PRUNE_AT = 10_000


class LocalCounts:
    def __init__(self) -> None:
        self._counts: dict[str, tuple[int, float]] = {}  # key: (count, expires at, epoch seconds)

    def incr(self, key: str, cost: int, *, now: float, ttl: float) -> int:
        """Add `cost` to `key` (made with a lifetime of `ttl` seconds when missing); the new count."""
        count, expires = self._counts.get(key, (0, 0.0))
        if expires <= now:
            if len(self._counts) >= _PRUNE_AT:
                self._prune(now)
            count, expires = 0, now + ttl
        count += cost
        self._counts[key] = (count, expires)
        return count

    def get(self, key: str, *, now: float) -> int:
        count, expires = self._counts.get(key, (0, 0.0))
        return count if expires > now else 0

    def delete(self, key: str) -> None:
        self._counts.pop(key, None)

    def _prune(self, now: float) -> None:
        self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
