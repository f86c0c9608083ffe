"""The fake FCM server of the soak, in a process of its own (`python -m soak.fcm`), so it shares
no GIL with the load generator. It is the tests' fake (tests/push/fake_fcm.py) recording every
message, plus the notification body, which the soak's markers live in for order changes.

Commands, one a line on stdin, each answered by one line on stdout:
    count TEXT       messages answered "ok" whose title or body contains TEXT
    delay SECONDS    from now on, answer each message this much later; answers "ok"
    dump PATH        every message received (JSON list) written to PATH; answers "ok"
End of input stops the server."""

from __future__ import annotations

import json
import sys

from tests.push.fake_fcm import FakeFcm


class RecordingFcm(FakeFcm):
    """Also keeps each notification's body, by its tag (our notification id: unique per
    notification, the same on every re-send of it)."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.bodies: dict[str, str] = {}

    def _answer(self, body: dict) -> tuple[int, dict, dict]:
        message = body.get("message", {})
        tag = message.get("android", {}).get("notification", {}).get("tag")
        with self._lock:
            self.bodies[tag or ""] = message.get("notification", {}).get("body") or ""
        return super()._answer(body)

    def records(self) -> list[dict]:
        with self._lock:
            return [{"token": r.token, "tag": r.tag, "collapse_id": r.collapse_id, "title": r.title or "",
                     "body": self.bodies.get(r.tag or "", ""), "answered": r.answered} for r in self.received]

    def count(self, text: str) -> int:
        return sum(1 for r in self.records() if r["answered"] == "ok" and (text in r["title"] or text in r["body"]))


def main() -> None:
    delay = float(sys.argv[1]) if len(sys.argv) > 1 else 0.0
    fake = RecordingFcm(delay).start()
    print(fake.base_url, flush=True)
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "count":
            print(fake.count(argument), flush=True)
        elif command == "delay":
            fake.delay = float(argument)
            print("ok", flush=True)
        elif command == "dump":
            with open(argument, "w", encoding="utf-8") as out:
                json.dump(fake.records(), out, ensure_ascii=False)
            print("ok", flush=True)
        else:
            print(f"unknown command {command!r}", flush=True)
    fake.stop()


if __name__ == "__main__":
    main()
