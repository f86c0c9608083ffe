"""How the push service runs: batch sizes, lease, retry policy, throttles, Firebase projects.
Made once at start-up from the settings."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.notifications.rules import DEFAULT_THROTTLES, Throttle
from core.infra.settings import Settings
from push.rules import RetryPolicy


@dataclass(frozen=True, slots=True)
class PushConfig:
    # FCM takes at most 500 messages per send_each call.
    batch_size: int = 500
    fan_out_batch: int = 500
    mailing_chunk: int = 2000
    # The first batch after an idle spell (then doubling up to batch_size): the first pushes of a
    # mailing leave after a small chunk and batch.
    first_batch: int = 50
    # A claimed delivery whose worker vanished returns to the queue after this.
    lease_seconds: float = 60.0
    # Send pipelines per worker process; one keeps a batch with FCM while the next is claimed.
    concurrency: int = 1
    # An idle worker polls this often; a NOTIFY on new work (push/wakeup.py) wakes it sooner.
    idle_wait_seconds: float = 0.5
    # False: no listening connection, the poll alone.
    listen: bool = True
    # A project that answered with an auth / sender error is paused this long, then probed again.
    halt_seconds: float = 300.0
    http_timeout_seconds: float = 30.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    throttles: dict[str, Throttle] = field(default_factory=lambda: dict(DEFAULT_THROTTLES))
    # Firebase projects: the default one and per app id (a white-label app with its own project).
    credentials: str | None = None
    app_credentials: dict[str, str] = field(default_factory=dict)
    fcm_base_url: str | None = None

    def throttle_for(self, kind: str) -> Throttle | None:
        return self.throttles.get(kind, self.throttles.get("*"))

    @property
    def fcm_configured(self) -> bool:
        return bool(self.credentials or self.app_credentials)


def push_config(settings: Settings, **overrides) -> PushConfig:
    values = {"credentials": settings.fcm_credentials, "app_credentials": dict(settings.fcm_app_credentials),
              "fcm_base_url": settings.fcm_base_url}
    if settings.push_concurrency:
        values["concurrency"] = max(1, settings.push_concurrency)
    if settings.push_lease_seconds:
        values["lease_seconds"] = max(1.0, settings.push_lease_seconds)
    if settings.push_batch_size:
        values["batch_size"] = min(500, max(1, settings.push_batch_size))
    values.update(overrides)
    return PushConfig(**values)
