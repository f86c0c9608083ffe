"""The push rules as plain functions: who may receive a push (PUSH-04), what counts as push
enabled or an opt-out (PUSH-07), deep links, and how pushes of one type are spaced out."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

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
    """A type never reported (or reported as null) counts as on."""
    value = (reported or {}).get(kind)
    return True if value is None else bool(value)


def skip_reason(*, active: bool, os_enabled: bool | None, reported: Mapping[str, bool] | None,
                kind: str) -> str | None:
    """PUSH-04: why a session gets no push of `kind`, or None when it gets it. Its SQL twin is
    `skip_reason_sql`."""
    if not active:
        return "session_inactive"
    if os_enabled is False:
        return "os_disabled"
    if not type_enabled(reported, kind):
        return "type_disabled"
    return None


def skip_reason_sql(s: str, kind: str) -> str:
    """`skip_reason` in SQL over the device_session row `s` and the push type expression `kind`."""
    return (f"CASE WHEN {s}.deactivated_at IS NOT NULL THEN 'session_inactive' "
            f"WHEN {s}.os_notifications_enabled IS FALSE THEN 'os_disabled' "
            f"WHEN COALESCE(({s}.notification_types ->> {kind})::boolean, TRUE) IS FALSE THEN 'type_disabled' END")


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


# Pushes a resident can set off in bursts are throttled per account and type; the rest (one
# mailing, one bill a month) are rare by nature.
DEFAULT_THROTTLES: dict[str, Throttle] = {
    "chat": Throttle(limit=10, window_seconds=60),
    "requests": Throttle(limit=10, window_seconds=60),
    "people": Throttle(limit=10, window_seconds=60),
    "passes": Throttle(limit=10, window_seconds=60),
    "*": Throttle(limit=30, window_seconds=600),
}
