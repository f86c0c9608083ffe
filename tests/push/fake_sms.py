"""A fake SMS gateway on 127.0.0.1 for the `webhook` provider: it records what it got
(headers and JSON) and answers 200, fails with 500, or hangs — holding the request until the
test releases it or the client gives up (then the request is marked abandoned)."""

from __future__ import annotations

import json
import select
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class SmsRequest:
    body: dict
    idempotency_key: str | None
    answered: str = "holding"  # "ok", "failed", "holding", "released" or "abandoned"


class FakeSmsGateway:
    def __init__(self) -> None:
        self.mode = "ok"  # "ok", "fail" or "hang"
        self.received: list[SmsRequest] = []
        self.arrived = threading.Event()  # set at each request
        self.release = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/send"

    def reset(self, mode: str = "ok") -> None:
        self.mode = mode
        self.received.clear()
        self.arrived.clear()
        self.release.clear()

    def start(self) -> FakeSmsGateway:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("content-length", 0)))
                request = SmsRequest(json.loads(raw), self.headers.get("Idempotency-Key"))
                fake.received.append(request)
                fake.arrived.set()
                if fake.mode == "hang":
                    request.answered = self._hold()
                    if request.answered == "abandoned":
                        return
                status = 500 if fake.mode == "fail" else 200
                if request.answered == "holding":
                    request.answered = "failed" if status == 500 else "ok"
                data = b'{"ok": false}' if status == 500 else b'{"ok": true}'
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _hold(self) -> str:
                # Until released, or until the client closes its end (it gave up waiting).
                while not fake.release.wait(0.05):
                    readable, _, _ = select.select([self.connection], [], [], 0)
                    if readable and not self.connection.recv(1, 2):  # MSG_PEEK: EOF means gone
                        return "abandoned"
                return "released"

        class Server(ThreadingHTTPServer):
            daemon_threads = True

        self._server = Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, name="fake-sms", daemon=True).start()
        return self

    def stop(self) -> None:
        self.release.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
