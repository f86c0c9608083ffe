"""A fake FCM server on 127.0.0.1: it answers the OAuth token request and FCM v1
`messages:send` with FCM's own error JSON, can be scripted (per-token errors, 429 with
Retry-After, 503 storms, slow answers) and records what it got. The real firebase-admin SDK is
pointed at it through a generated service-account key (token_uri) and FCM_BASE_URL."""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

STATUS_OF = {"UNREGISTERED": (404, "NOT_FOUND"), "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT"),
             "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED"), "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED"),
             "UNAVAILABLE": (503, "UNAVAILABLE"), "INTERNAL": (500, "INTERNAL"),
             "THIRD_PARTY_AUTH_ERROR": (401, "UNAUTHENTICATED")}


@dataclass
class Reply:
    """One scripted answer: an FCM errorCode (None = success), extra headers, a delay."""

    error: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    message: str | None = None


@dataclass
class Received:
    token: str
    tag: str | None
    collapse_id: str | None
    data: dict
    title: str | None
    answered: str  # "ok" or the errorCode


class FakeFcm:
    def __init__(self, now: Callable[[], datetime] | None = None) -> None:
        self.now = now
        self.received: list[Received] = []
        self.token_requests = 0
        self.per_token: dict[str, list[Reply]] = {}
        self.always: dict[str, Reply] = {}
        self.storm_until: datetime | None = None  # 503 for every message while now() < this
        self.delay = 0.0
        self.record = True
        self.accepted = 0
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # ---- scripting ------------------------------------------------------------------------
    def script(self, token: str, *replies: Reply) -> None:
        self.per_token.setdefault(token, []).extend(replies)

    def fail_always(self, token: str, reply: Reply) -> None:
        self.always[token] = reply

    def accepted_since_clear(self) -> int:
        with self._lock:
            return sum(1 for r in self.received if r.answered == "ok")

    def delivered(self, token: str | None = None) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.answered == "ok" and (token is None or r.token == token)]

    # ---- serving --------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeFcm:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Keep-alive answers would otherwise wait on Nagle + the client's delayed ACK (40 ms).
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                raw = self.rfile.read(length)
                if self.path.endswith("/token"):
                    with fake._lock:
                        fake.token_requests += 1
                    self._json(200, {"access_token": "fake-access-token", "expires_in": 3600,
                                     "token_type": "Bearer"})
                    return
                if ":send" not in self.path:
                    self._json(404, {"error": {"code": 404, "message": "not found", "status": "NOT_FOUND"}})
                    return
                body = json.loads(raw)
                status, payload, headers = fake._answer(body)
                self._json(status, payload, headers)

            def _json(self, status: int, payload: dict, headers: dict | None = None) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json; charset=UTF-8")
                self.send_header("content-length", str(len(data)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 1024

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="fake-fcm", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def _answer(self, body: dict) -> tuple[int, dict, dict]:
        message = body.get("message", {})
        token = message.get("token", "")
        with self._lock:
            reply = None
            if self.storm_until is not None and self.now is not None and self.now() < self.storm_until:
                reply = Reply("UNAVAILABLE")
            elif self.per_token.get(token):
                reply = self.per_token[token].pop(0)
            elif token in self.always:
                reply = self.always[token]
            delay = (reply.delay if reply else 0.0) or self.delay
            code = reply.error if reply else None
            # Recorded on arrival: a slow answer was still received (FCM may have taken it).
            if self.record:
                self.received.append(Received(
                    token=token, tag=message.get("android", {}).get("notification", {}).get("tag"),
                    collapse_id=message.get("apns", {}).get("headers", {}).get("apns-collapse-id"),
                    data=message.get("data", {}), title=message.get("notification", {}).get("title"),
                    answered=code or "ok"))
            if code is None:
                self.accepted += 1
                name = f"projects/fake/messages/{next(self._ids)}"
        if delay:
            time.sleep(delay)
        if code is None:
            return 200, {"name": name}, {}
        status, canonical = STATUS_OF.get(code, (500, "INTERNAL"))
        text = reply.message or {
            "UNREGISTERED": "Requested entity was not found.",
            "INVALID_ARGUMENT": "The registration token is not a valid FCM registration token",
        }.get(code, code)
        error = {"error": {"code": status, "message": text, "status": canonical, "details": [
            {"@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError", "errorCode": code}]}}
        return status, error, dict(reply.headers)


def service_account_key(path: Path, token_uri: str, project_id: str = "fake-project") -> Path:
    """A service-account JSON with a freshly generated RSA key whose token_uri is the fake."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode()
    path.write_text(json.dumps({
        "type": "service_account", "project_id": project_id, "private_key_id": "fake-key-id",
        "private_key": pem, "client_email": f"push@{project_id}.iam.gserviceaccount.com",
        "client_id": "1234567890", "token_uri": token_uri,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
    }))
    return path


def main() -> None:
    """`python -m tests.push.fake_fcm`: serve in a process of its own (the benchmark), so the
    fake does not share a GIL with the SDK it measures. Prints the base URL, then serves until
    stdin closes or the process is terminated."""
    import sys

    fake = FakeFcm().start()
    fake.record = False
    print(fake.base_url, flush=True)
    sys.stdin.read()
    fake.stop()


if __name__ == "__main__":
    main()
