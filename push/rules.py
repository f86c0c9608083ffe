"""The push rules as plain functions: who may receive a push (PUSH-04), what counts as push
enabled or an opt-out (PUSH-07), what a delivery error means and when to try again (PUSH-05)."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from core.enums import NOTIFICATION_TYPES

MIN_MONITOR_VERSION = "4.7"
UNKNOWN_DEVICE = "Неизвестное устройство"


# ---- versions --------------------------------------------------------------------------------

_VERSION = re.compile(r"^\s*v?(\d{1,3})(?:\.(\d{1,3}))?(?:\.(\d{1,3}))?")


def version_num(version: str | None) -> int:
    """`4.7.1` → 4007001, comparable as a number and indexable; unknown versions are 0."""
    match = _VERSION.match(version or "")
    if not match:
        return 0
    major, minor, patch = (int(part or 0) for part in match.groups())
    return major * 1_000_000 + minor * 1_000 + patch


MIN_MONITOR_VERSION_NUM = version_num(MIN_MONITOR_VERSION)


# ---- settings and recipients -----------------------------------------------------------------

def effective_types(reported: Mapping[str, bool] | None) -> dict[str, bool]:
    """Every known type with its state; a type never reported counts as on (PUSH-02)."""
    reported = reported or {}
    return {kind: bool(reported.get(kind, True)) for kind in NOTIFICATION_TYPES}


def type_enabled(reported: Mapping[str, bool] | None, kind: str) -> bool:
    return bool((reported or {}).get(kind, True))


def receives(*, active: bool, os_enabled: bool | None, reported: Mapping[str, bool] | None, kind: str) -> bool:
    """PUSH-04: an active session whose OS permission is on or not yet reported and whose switch
    for the type is on."""
    return active and os_enabled is not False and type_enabled(reported, kind)


def skip_reason(*, active: bool, os_enabled: bool | None, reported: Mapping[str, bool] | None,
                kind: str) -> str | None:
    if not active:
        return "session_inactive"
    if os_enabled is False:
        return "os_disabled"
    if not type_enabled(reported, kind):
        return "type_disabled"
    return None


def deliverable(os_enabled: bool | None, reported: Mapping[str, bool] | None) -> bool:
    """Some push can still reach the device."""
    return os_enabled is not False and any(effective_types(reported).values())


def push_enabled(os_enabled: bool | None, reported: Mapping[str, bool] | None) -> bool:
    """PUSH-07 'push enabled': the OS permission is on (reported) and at least one type is on."""
    return os_enabled is True and any(effective_types(reported).values())


def is_opt_out(before_os: bool | None, before_types: Mapping[str, bool] | None,
               after_os: bool | None, after_types: Mapping[str, bool] | None) -> bool:
    """PUSH-07: the OS permission was turned off or all types were turned off — a change from
    deliverable to not deliverable. A first report is no change: a session that never reported
    anything, or whose OS permission is reported for the first time as off (the user denied it at
    the prompt), never opted in and so cannot opt out."""
    if before_os is None and not before_types:
        return False
    if before_os is None and after_os is False:
        return False
    return deliverable(before_os, before_types) and not deliverable(after_os, after_types)


def device_label(name: str | None, model: str | None) -> str:
    """PUSH-01: a session without device data shows as «Неизвестное устройство»."""
    return name or model or UNKNOWN_DEVICE


# ---- deep links ------------------------------------------------------------------------------

def people_link(premise_id: object) -> str:
    return f"app://people?premise_id={premise_id}"


def order_link(order_id: object) -> str:
    return f"app://orders/{order_id}"


def notification_link(notification_id: object) -> str:
    return f"app://notifications/{notification_id}"


def premise_link(premise_id: object) -> str:
    return f"app://premises/{premise_id}"


DEEP_LINK = re.compile(r"^app://(people\?premise_id=[0-9a-fA-F-]+|orders/[^/?#\s]+|notifications/[^/?#\s]+|"
                       r"premises/[^/?#\s]+)$")


def valid_deep_link(link: str) -> bool:
    return bool(DEEP_LINK.match(link))


# ---- throttling ------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Throttle:
    """At most `limit` pushes of one type to one account per `window_seconds`; the rest wait."""

    limit: int
    window_seconds: int


def throttled_until(recent: list[datetime], throttle: Throttle | None, now: datetime) -> datetime | None:
    """When a new push may go, given the times of the account's recent pushes of that type
    (newest last, already limited to the window); None when it may go now. Later pushes wait
    rather than drop, so nothing is lost."""
    if throttle is None or throttle.limit <= 0 or len(recent) < throttle.limit:
        return None
    window = timedelta(seconds=throttle.window_seconds)
    free_at = sorted(recent)[-throttle.limit] + window
    return free_at if free_at > now else None


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
