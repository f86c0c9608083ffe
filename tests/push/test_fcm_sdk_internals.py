"""push/fcm.py reaches into firebase-admin's private internals: the SDK offers no public way to
give its messaging service our HTTP client (retries off, one pooled connection per message in
flight) or another FCM endpoint. pyproject.toml caps firebase-admin below its next major; this
test fails loudly, naming what moved, when a release inside the cap changes any of them."""

from __future__ import annotations

import inspect

import firebase_admin
import requests
from firebase_admin import _http_client, messaging

from push.config import PushConfig
from push.fcm import FCM_PATH, FcmProject


def _must(condition: bool, what: str) -> None:
    assert condition, (f"firebase-admin {firebase_admin.__version__} changed a private internal push/fcm.py "
                       f"relies on: {what}. Adapt push/fcm.py before raising the version cap.")


async def test_push_05_the_sdk_internals_push_fcm_uses_are_there(fake_fcm, fcm_key):
    """Rule: PUSH-05 — our retry policy depends on replacing the SDK's HTTP client."""
    _must(int(firebase_admin.__version__.split(".")[0]) == 7, "the major version (the cap is <8)")
    service_class = getattr(messaging, "_MessagingService", None)
    _must(isinstance(service_class, type), "messaging._MessagingService")
    _must(isinstance(getattr(service_class, "FCM_URL", None), str) and service_class.FCM_URL.endswith(FCM_PATH),
          f"messaging._MessagingService.FCM_URL ending in {FCM_PATH}")
    _must(callable(getattr(messaging, "_get_messaging_service", None)), "messaging._get_messaging_service(app)")
    client_class = getattr(_http_client, "JsonHttpClient", None)
    _must(isinstance(client_class, type), "_http_client.JsonHttpClient")
    accepted = set(inspect.signature(_http_client.HttpClient.__init__).parameters)
    _must({"credential", "retries", "timeout"} <= accepted, "JsonHttpClient(credential=, retries=, timeout=)")

    project = FcmProject("internals", str(fcm_key), PushConfig(fcm_base_url=fake_fcm.base_url, batch_size=8,
                                                                http_timeout_seconds=5))
    try:
        service = project.service
        _must(isinstance(service, service_class), "_get_messaging_service returning a _MessagingService")
        for name in ("_client", "_async_client", "_credential", "_fcm_url"):
            _must(hasattr(service, name), f"_MessagingService.{name}")
        _must(service._fcm_url.startswith(fake_fcm.base_url), "the service reading FCM_URL when it is made")
        _must(callable(getattr(service._credential, "refresh", None)), "_MessagingService._credential.refresh")
        _must(callable(getattr(project._sdk_clients[1], "aclose", None)), "_MessagingService._async_client.aclose")
        _must(list(inspect.signature(service.send_each).parameters)[:2] == ["messages", "dry_run"],
              "_MessagingService.send_each(messages, dry_run)")
        ours = service._client
        _must(isinstance(ours, client_class) and isinstance(getattr(ours, "session", None), requests.Session),
              "JsonHttpClient.session (a requests.Session)")
        adapter = ours.session.get_adapter("https://fcm.googleapis.com/")
        _must(adapter.max_retries.total == 0, "our client's session keeping the adapter we mount (no retries)")
        # The SDK's send path goes through the client we put in: one message reaches the fake FCM.
        fake_fcm.received.clear()
        answer = service.send_each([messaging.Message(token="internals-token", data={"k": "v"})], False)
        _must(answer.success_count == 1 and len(fake_fcm.received) == 1, "send_each going through _client")
    finally:
        await project.close()
