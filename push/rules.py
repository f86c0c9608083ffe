"""What an FCM answer means and when to try again (PUSH-05), as plain functions."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

# ---- FCM errors and retries ------------------------------------------------------------------

Outcome = Literal["sent", "retry", "drop_token", "failed", "halt"]

RETRYABLE = frozenset({"UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED", "UNKNOWN"})
# Errors after which FCM may or may not have taken the message: retried, and counted as resends.
AMBIGUOUS = frozenset({"DEADLINE_EXCEEDED", "UNKNOWN"})
TOKEN_GONE = frozenset({"UNREGISTERED", "NOT_FOUND"})
PROJECT_BROKEN = frozenset({"SENDER_ID_MISMATCH", "THIRD_PARTY_AUTH_ERROR", "APNS_AUTH_ERROR",
                            "UNAUTHENTICATED", "PERMISSION_DENIED"})


def classify(code: str | None, message: str = "") -> Outcome:
    """What an FCM answer means for one message. `code` is FCM's errorCode when it gave one,
    else the canonical status."""
    if code is None:
        return "sent"
    if code in TOKEN_GONE:
        return "drop_token"
    if code == "INVALID_ARGUMENT":
        # FCM answers INVALID_ARGUMENT both for a bad token and for a bad payload; only the first
        # is the device's fault.
        return "drop_token" if "token" in message.lower() else "failed"
    if code in PROJECT_BROKEN:
        return "halt"
    if code in RETRYABLE or code in AMBIGUOUS:
        return "retry"
    return "failed"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    base_seconds: float = 1.0
    max_delay_seconds: float = 300.0
    max_attempts: int = 12
    max_age_seconds: float = 24 * 3600.0


def backoff_seconds(attempt: int, policy: RetryPolicy, *, retry_after: float | None = None,
                    rng: random.Random | None = None) -> float:
    """Exponential backoff with jitter after the `attempt`-th failure (1-based), never sooner than
    the server's Retry-After."""
    rng = rng or random
    ceiling = min(policy.max_delay_seconds, policy.base_seconds * (2 ** max(0, attempt - 1)))
    # "Equal jitter": half fixed, half random, so retries spread out but still grow.
    delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    if retry_after is not None:
        delay = max(delay, retry_after)
    return delay


def give_up(attempts: int, first_at: datetime, now: datetime, policy: RetryPolicy) -> bool:
    """Retries are bounded in number and in age."""
    return attempts >= policy.max_attempts or (now - first_at).total_seconds() >= policy.max_age_seconds


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        from email.utils import parsedate_to_datetime

        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - now).total_seconds())
