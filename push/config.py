"""How the push service runs: batch sizes, lease, retry policy, throttles, Firebase projects.
Made once at start-up from the settings (and a few push-only environment variables)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from core.settings import Settings
from push.rules import RetryPolicy, Throttle

# Pushes a resident can set off in bursts are throttled per account and type; the rest (one
# mailing, one bill a month) are rare by nature.
DEFAULT_THROTTLES: dict[str, Throttle] = {
    "chat": Throttle(limit=10, window_seconds=60),
    "requests": Throttle(limit=10, window_seconds=60),
    "people": Throttle(limit=10, window_seconds=60),
    "passes": Throttle(limit=10, window_seconds=60),
    "*": Throttle(limit=30, window_seconds=600),
}


@dataclass(frozen=True, slots=True)
class PushConfig:
    # FCM takes at most 500 messages per send_each call.
    batch_size: int = 500
    fan_out_batch: int = 500
    mailing_chunk: int = 2000
    # A claimed delivery whose worker vanished returns to the queue after this.
    lease_seconds: float = 60.0
    # Concurrent send loops per worker process: one sends while another writes statuses.
    concurrency: int = 2
    idle_wait_seconds: float = 0.5
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


def push_config(settings: Settings, environ: dict[str, str] | None = None, **overrides) -> PushConfig:
    """`FCM_APP_CREDENTIALS=brand-a=/path/a.json,brand-b=/path/b.json` adds per-app projects."""
    env = os.environ if environ is None else environ
    per_app: dict[str, str] = {}
    for part in (env.get("FCM_APP_CREDENTIALS") or "").split(","):
        app_id, _, path = part.partition("=")
        if app_id.strip() and path.strip():
            per_app[app_id.strip()] = path.strip()
    values = {"credentials": settings.fcm_credentials, "app_credentials": per_app,
              "fcm_base_url": settings.fcm_base_url}
    if env.get("PUSH_CONCURRENCY", "").strip().isdigit():
        values["concurrency"] = max(1, int(env["PUSH_CONCURRENCY"]))
    if env.get("PUSH_LEASE_SECONDS", "").strip():
        values["lease_seconds"] = max(1.0, float(env["PUSH_LEASE_SECONDS"]))
    if env.get("PUSH_BATCH_SIZE", "").strip().isdigit():
        values["batch_size"] = min(500, max(1, int(env["PUSH_BATCH_SIZE"])))
    values.update(overrides)
    return PushConfig(**values)
