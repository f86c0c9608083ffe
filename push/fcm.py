"""FCM through firebase-admin, with our retry policy instead of the SDK's (README: Architecture,
behind the modules)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable

import firebase_admin
import requests
from firebase_admin import credentials, exceptions, messaging
from firebase_admin import _http_client as sdk_http  # noqa: PLC2701 - the SDK offers no public hook

from core.infra import metrics
from push import rules
from push.config import PushConfig
from push.transport import OutgoingPush, SendResult

log = logging.getLogger(__name__)
FCM_PATH = "/v1/projects/{0}/messages:send"
DEFAULT_PROJECT = "*"


def build_message(push: OutgoingPush) -> messaging.Message:
    tag = str(push.message_id)
    return messaging.Message(
        token=push.token,
        notification=messaging.Notification(title=push.title, body=push.body),
        data=push.payload_data(),
        android=messaging.AndroidConfig(
            priority="high",
            notification=messaging.AndroidNotification(tag=tag),
        ),
        apns=messaging.APNSConfig(
            headers={"apns-collapse-id": tag},
            payload=messaging.APNSPayload(aps=messaging.Aps(sound="default")),
        ),
    )


def _error_code(exc: exceptions.FirebaseError) -> str:
    """FCM's own errorCode when it sent one (UNREGISTERED, QUOTA_EXCEEDED…), else the status."""
    response = getattr(exc, "http_response", None)
    if response is not None:
        try:
            error = response.json().get("error", {})
            for detail in error.get("details", []) or []:
                if detail.get("@type", "").endswith("FcmError") and detail.get("errorCode"):
                    return str(detail["errorCode"])
            if error.get("status"):
                return str(error["status"])
        except (ValueError, AttributeError):
            pass
    if isinstance(exc, exceptions.DeadlineExceededError):
        return "DEADLINE_EXCEEDED"
    return str(exc.code or "UNKNOWN")


def result_of(response: messaging.SendResponse, now_fn: Callable[[], object]) -> SendResult:
    if response.success:
        return SendResult("sent", fcm_message_id=response.message_id)
    exc = response.exception
    code = _error_code(exc) if isinstance(exc, exceptions.FirebaseError) else "UNKNOWN"
    message = str(exc)
    outcome = rules.classify(code, message)
    retry_after = None
    http_response = getattr(exc, "http_response", None)
    if http_response is not None:
        retry_after = rules.parse_retry_after(http_response.headers.get("retry-after"), now_fn())
    # No HTTP answer at all (timeout, reset): FCM may have taken it.
    ambiguous = outcome == "retry" and (http_response is None or code in rules.AMBIGUOUS)
    return SendResult(outcome, error=f"{code}: {message}"[:500], retry_after=retry_after, ambiguous=ambiguous)


class FcmProject:
    """One Firebase project (one service-account key) and its messaging service."""

    def __init__(self, key: str, credentials_path: str, config: PushConfig) -> None:
        self.key = key
        if config.fcm_base_url:
            # The SDK reads the class attribute when it makes an app's messaging service.
            messaging._MessagingService.FCM_URL = config.fcm_base_url.rstrip("/") + FCM_PATH
        name = f"push-{key}-{uuid.uuid4().hex[:8]}"
        self.app = firebase_admin.initialize_app(credentials.Certificate(credentials_path),
                                                 {"httpTimeout": config.http_timeout_seconds}, name=name)
        self.service = messaging._get_messaging_service(self.app)
        self._sdk_clients = (self.service._client, self.service._async_client)
        # Our retries, not the SDK's: one HTTP attempt per message, a pooled connection per
        # message in flight.
        client = sdk_http.JsonHttpClient(credential=self.service._credential, retries=False,
                                         timeout=config.http_timeout_seconds)
        adapter = requests.adapters.HTTPAdapter(pool_connections=1, pool_maxsize=config.batch_size, max_retries=0)
        client.session.mount("http://", adapter)
        client.session.mount("https://", adapter)
        # requests re-reads the proxy variables, ~/.netrc and the CA bundle variables on every
        # request when trust_env is on; read them once here instead.
        session = client.session
        session.proxies = requests.utils.get_environ_proxies(self.service._fcm_url)  # honours NO_PROXY
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True
        session.trust_env = False
        self.service._client = client
        self.closed = False
        self.halted_until = 0.0
        self.halt_seconds = config.halt_seconds

    async def warm_up(self) -> None:
        """Fetch the OAuth token off the event loop (the SDK refreshes it synchronously)."""
        import google.auth.transport.requests as google_requests

        credential = self.service._credential
        await asyncio.to_thread(credential.refresh, google_requests.Request())

    async def send(self, batch: list[OutgoingPush], now_fn,
                   built: dict[uuid.UUID, messaging.Message]) -> list[SendResult]:
        """`built`: messages made ahead by delivery id (FcmTransport.prepare); the rest are made here."""
        if time.monotonic() < self.halted_until:
            return [SendResult("halt", error=f"project {self.key} is halted") for _ in batch]
        messages = [built.pop(push.delivery_id, None) or build_message(push) for push in batch]
        started = time.perf_counter()
        try:
            answer = await asyncio.to_thread(self.service.send_each, messages, False)
        except exceptions.FirebaseError as exc:  # the whole call failed (e.g. token refresh)
            log.warning("FCM batch failed for project %s: %s", self.key, exc)
            metrics.FCM_ERRORS.labels(_error_code(exc)).inc(len(batch))
            return [SendResult("retry", error=str(exc)[:500], ambiguous=True) for _ in batch]
        finally:
            metrics.FCM_SECONDS.labels(self.key).observe(time.perf_counter() - started)
        results = [result_of(response, now_fn) for response in answer.responses]
        for result in results:
            if result.outcome != "sent":
                metrics.FCM_ERRORS.labels((result.error or "UNKNOWN").split(":", 1)[0]).inc()
        if any(result.outcome == "halt" for result in results):
            self.halted_until = time.monotonic() + self.halt_seconds
            sample = next(result.error for result in results if result.outcome == "halt")
            log.critical("FCM project %s refuses our credentials or sender (%s): sending to it is halted "
                         "for %.0f s; fix FCM_CREDENTIALS / FCM_APP_CREDENTIALS", self.key, sample,
                         self.halt_seconds)
        return results

    async def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        try:
            self.service._client.close()
            self._sdk_clients[0].close()
            await self._sdk_clients[1].aclose()
        finally:
            # The SDK's close() runs asyncio.run(), which cannot run inside our loop; the
            # clients are closed above.
            self.service.close = lambda: None
            firebase_admin.delete_app(self.app)


class FcmTransport:
    """Routes each push to the Firebase project of the app that registered its token."""

    name = "fcm"

    def __init__(self, config: PushConfig, now_fn) -> None:
        self._now = now_fn
        self.projects: dict[str, FcmProject] = {}
        # Messages built ahead (`prepare`), by delivery id, taken by the send that carries them.
        self._built: dict[uuid.UUID, messaging.Message] = {}
        if config.credentials:
            self.projects[DEFAULT_PROJECT] = FcmProject("default", config.credentials, config)
        for app_id, path in config.app_credentials.items():
            self.projects[app_id] = FcmProject(app_id, path, config)
        log.info("FCM transport ready for projects: %s", ", ".join(sorted(self.projects)))

    def project_for(self, app_id: str) -> FcmProject | None:
        return self.projects.get(app_id) or self.projects.get(DEFAULT_PROJECT)

    async def warm_up(self) -> None:
        for project in self.projects.values():
            try:
                await project.warm_up()
            except Exception as exc:  # noqa: BLE001 - the first send will report it properly
                log.warning("could not fetch an FCM token for %s yet: %s", project.key, exc)

    def prepare(self, batch: list[OutgoingPush]) -> None:
        """Build a claimed batch's messages now, while the batch before it is with FCM, so the
        send that carries them starts at once. Those of an earlier batch never sent (given back
        on stop) are dropped."""
        self._built = {push.delivery_id: build_message(push) for push in batch}

    async def send(self, batch: list[OutgoingPush]) -> list[SendResult]:
        results: list[SendResult | None] = [None] * len(batch)
        groups: dict[str, list[int]] = {}
        for index, push in enumerate(batch):
            project = self.project_for(push.app_id)
            if project is None:
                results[index] = SendResult("failed", error=f"no Firebase project for app {push.app_id}")
                continue
            groups.setdefault(project.key, []).append(index)
        by_key = {project.key: project for project in self.projects.values()}
        for key, indexes in groups.items():
            answers = await by_key[key].send([batch[i] for i in indexes], self._now, self._built)
            for index, answer in zip(indexes, answers, strict=True):
                results[index] = answer
        return [result for result in results if result is not None]

    async def close(self) -> None:
        for project in self.projects.values():
            await project.close()
