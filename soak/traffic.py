"""The soak's traffic: an open-loop generator (a request is started every 1/rate seconds whether
or not the earlier ones have answered, so a slow server is not hidden by a slow client) of a
weighted mix of app screens, CRM reads and CRM writes that push, and the ledger of every push
requested with the device it must reach."""

from __future__ import annotations

import asyncio
import itertools
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from soak.seed import World

MARKER = re.compile(r"soak-[a-z]\d+")
NOTIFICATION_TYPES = ("news", "bills", "meters", "polls")
REQUEST_STATUSES = ("waiting", "in_progress", "paused", "approval", "needs_clarification")

# kind: (weight, answers counted as success). Writes that push are about a tenth of the traffic.
MIX: dict[str, tuple[int, tuple[int, ...]]] = {
    "app profile": (14, (200,)),
    "app my-premises": (9, (200,)),
    "app my-orders": (9, (200,)),
    "app people": (7, (200,)),
    "app inbox": (7, (200,)),
    "app order": (4, (200,)),
    "app header": (4, (200,)),
    "crm client search": (12, (200,)),
    "crm premise search": (10, (200,)),
    "crm client card": (6, (200,)),
    "crm order create": (3, (201,)),
    "crm order change (push)": (7, (200,)),
    "crm notification (push)": (6, (201,)),
    # A screen this resident was answered a moment ago, nothing written for them since: Redis
    # holds its answer, so it answers while PostgreSQL is away too.
    "app cached screen": (10, (200,)),
    # Login codes live in Redis alone: they answer 503 while it is away (counted apart).
    "app login code": (1, (200,)),
}
CACHED = "app cached screen"
LOGIN_CODE = "app login code"
# Screens whose answers the server caches (bff/cache.py), by kind.
CACHEABLE = ("app profile", "app my-premises", "app my-orders", "app people")
# How long a cached answer is counted on (the soak's SCREEN_CACHE_SECONDS is longer, and a session
# in use keeps its state in Redis).
CACHED_FOR = 240.0
MAILING = "crm mailing (push)"


@dataclass(slots=True)
class Sample:
    kind: str
    at: float  # seconds since the start of the run
    latency: float
    status: int  # 0: no answer (connection error or timeout)
    ok: bool


@dataclass
class Ledger:
    """Pushes asked for, by marker: the FCM tokens each must reach. A request that was refused
    must push nothing; one that got no answer may or may not have."""

    requested: dict[str, set[str]] = field(default_factory=dict)
    kind_of: dict[str, str] = field(default_factory=dict)
    refused: set[str] = field(default_factory=set)
    unknown: set[str] = field(default_factory=set)

    def settle(self, marker: str, kind: str, tokens: set[str], status: int, ok: bool) -> None:
        if ok:
            self.requested[marker] = tokens
            self.kind_of[marker] = kind
        elif status:
            self.refused.add(marker)
        else:
            self.unknown.add(marker)


@dataclass
class Event:
    at: float
    text: str


class Traffic:
    def __init__(self, http: httpx.AsyncClient, world: World, rng: random.Random, *, max_in_flight: int = 200):
        self.http = http
        self.world = world
        self.rng = rng
        self.max_in_flight = max_in_flight
        self.samples: list[Sample] = []
        self.ledger = Ledger()
        self.events: list[Event] = []
        self.shed = 0
        self.client_failures: list[str] = []
        self.started = 0.0
        self._seq = itertools.count(1)
        self._in_flight: set[asyncio.Task] = set()
        self._kinds = list(MIX)
        self._weights = [MIX[k][0] for k in self._kinds]
        self._status_of_order: dict[str, str] = {}
        # When each (resident, screen) was last answered, when anything was last written for each
        # resident, and when Redis last lost what it held: what the server has cached.
        self.answered: dict[tuple[int, str], float] = {}
        self.written: dict[int, float] = {}
        self.cache_lost_at = 0.0
        self._phones = itertools.count(1)

    def now(self) -> float:
        return time.monotonic() - self.started

    def note(self, text: str) -> None:
        self.events.append(Event(self.now(), text))
        print(f"  t={self.now():6.1f}s  {text}", flush=True)

    # ---- one request -----------------------------------------------------------------------
    async def _timed(self, kind: str, ok_statuses: tuple[int, ...],
                     call: Callable[[], Awaitable[httpx.Response]]) -> tuple[int, bool, httpx.Response | None]:
        at = self.now()
        began = time.perf_counter()
        response = None
        try:
            response = await call()
            status = response.status_code
        except httpx.HTTPError:
            status = 0
        ok = status in ok_statuses
        self.samples.append(Sample(kind, at, time.perf_counter() - began, status, ok))
        return status, ok, response

    async def request(self, kind: str) -> None:
        try:
            await self._request(kind)
        except Exception as exc:  # noqa: BLE001 - a bug of the soak itself: counted and shown, not hidden
            self.client_failures.append(f"{kind}: {exc!r}")

    def _cached(self) -> tuple[int, str] | None:
        """A (resident, screen) whose answer the server holds, if any."""
        now = self.now()
        fresh = [key for key, at in self.answered.items()
                 if at > max(self.written.get(key[0], 0.0), self.cache_lost_at) and now - at < CACHED_FOR]
        return self.rng.choice(fresh) if fresh else None

    async def _request(self, kind: str) -> None:
        http, rng, staff = self.http, self.rng, self.world.staff
        index = rng.randrange(len(self.world.residents))
        sample_kind = kind
        if kind == CACHED:
            picked = self._cached()
            if picked is None:
                kind = "app profile"
                sample_kind = kind
            else:
                index, kind = picked
        ok_statuses = MIX[sample_kind][1]
        resident = self.world.residents[index]
        if kind == "app profile":
            call = lambda: http.get("/app/v1/screens/profile", headers=resident.headers)  # noqa: E731
        elif kind == "app my-premises":
            call = lambda: http.get("/app/v1/screens/my-premises", headers=resident.headers)  # noqa: E731
        elif kind == "app my-orders":
            call = lambda: http.get("/app/v1/screens/my-orders", params={"tab": "requests"},  # noqa: E731
                                    headers=resident.headers)
        elif kind == "app people":
            call = lambda: http.get("/app/v1/screens/people", params={"premise_id": resident.premise_id},  # noqa: E731
                                    headers=resident.headers)
        elif kind == "app inbox":
            call = lambda: http.get("/app/v1/notifications", headers=resident.headers)  # noqa: E731
        elif kind == "app order":
            order_id, index = rng.choice(self.world.orders)
            owner = self.world.residents[index]
            self.written[index] = self.now()  # opening an order marks it seen
            call = lambda: http.get(f"/app/v1/orders/{order_id}", headers=owner.headers)  # noqa: E731
        elif kind == "app header":
            call = lambda: http.get("/app/v1/screens/header", params={"screen": "main"},  # noqa: E731
                                    headers=resident.headers)
        elif kind == "crm client search":
            # A phone fragment or a surname prefix, as staff type them.
            query = resident.phone[-rng.choice((4, 5, 7)):] if rng.random() < 0.5 else resident.last_name[:4]
            call = lambda: http.get("/crm/v1/clients", params={"q": query}, headers=staff)  # noqa: E731
        elif kind == "crm premise search":
            query = rng.choice(self.world.addresses)
            call = lambda: http.get("/crm/v1/premises", params={"q": query}, headers=staff)  # noqa: E731
        elif kind == "crm client card":
            call = lambda: http.get(f"/crm/v1/clients/{resident.client_id}", headers=staff)  # noqa: E731
        elif kind == LOGIN_CODE:
            phone = f"+7996{next(self._phones):07d}"  # a new phone each time: no resend cooldown
            call = lambda: http.post("/app/v1/auth/otp", json={"phone": phone})  # noqa: E731
        elif kind == "crm order create":
            self.written[index] = self.now()
            status, ok, response = await self._timed(kind, ok_statuses, lambda: http.post(
                "/crm/v1/orders", headers=staff, json={
                    "kind": "requests", "premise_id": resident.premise_id, "client_id": resident.client_id,
                    "title": "Протечка в ванной", "status": "waiting"}))
            self.written[index] = self.now()  # whenever it committed, it was before this
            if ok:
                self.world.orders.append((response.json()["id"], index))
            return
        elif kind == "crm order change (push)":
            await self._order_change(kind, ok_statuses)
            return
        elif kind == "crm notification (push)":
            self.written[index] = self.now()
            marker = f"soak-n{next(self._seq)}"
            body = {"client_id": resident.client_id, "premise_id": resident.premise_id,
                    "type": rng.choice(NOTIFICATION_TYPES), "title": f"Уведомление {marker}",
                    "body": "Плановое отключение горячей воды с 10:00 до 14:00"}
            status, ok, _ = await self._timed(kind, ok_statuses,
                                              lambda: http.post("/crm/v1/notifications", headers=staff, json=body))
            self.written[index] = self.now()
            self.ledger.settle(marker, kind, {resident.fcm_token}, status, ok)
            return
        else:
            raise ValueError(kind)
        at = self.now()
        _, ok, _ = await self._timed(sample_kind, ok_statuses, call)
        if kind == "app order":
            self.written[index] = self.now()
        if ok and kind in CACHEABLE:
            self.answered[(index, kind)] = at

    async def _order_change(self, kind: str, ok_statuses: tuple[int, ...]) -> None:
        """A staff comment (new text: always a change the client is told about), with a new
        status half the time."""
        order_id, index = self.rng.choice(self.world.orders)
        resident = self.world.residents[index]
        self.written[index] = self.now()
        marker = f"soak-o{next(self._seq)}"
        change = {"staff_comment": f"Мастер придёт завтра ({marker})"}
        if self.rng.random() < 0.5:
            current = self._status_of_order.get(order_id, "waiting")
            change["status"] = self.rng.choice([s for s in REQUEST_STATUSES if s != current])
        status, ok, _ = await self._timed(kind, ok_statuses, lambda: self.http.patch(
            f"/crm/v1/orders/{order_id}", headers=self.world.staff, json=change))
        self.written[index] = self.now()
        if ok and "status" in change:
            self._status_of_order[order_id] = change["status"]
        self.ledger.settle(marker, kind, {resident.fcm_token}, status, ok)

    async def mailing(self, number: int, share: float = 1.0) -> str:
        """A push mailing to a share of the residents, picked by client id."""
        marker = f"soak-m{number}"
        picked = self.rng.sample(range(len(self.world.residents)), max(1, round(len(self.world.residents) * share)))
        for index in picked:
            # Its inbox items are written by a worker a little later.
            self.written[index] = self.now() + 60.0
        chosen = [self.world.residents[index] for index in picked]
        body = {"channel": "push", "title": f"Рассылка {marker}", "body": "Собрание собственников в субботу",
                "filter": {"client_ids": [r.client_id for r in chosen]}}
        status, ok, response = await self._timed(MAILING, (201,), lambda: self.http.post(
            "/crm/v1/mailings", headers=self.world.staff, json=body))
        self.ledger.settle(marker, MAILING, {r.fcm_token for r in chosen}, status, ok)
        recipients = response.json().get("recipients") if ok else None
        self.note(f"mailing {marker} to {len(chosen)} residents: {status or 'no answer'}"
                  + (f", {recipients} recipients" if recipients is not None else ""))
        return marker

    # ---- the open loop ---------------------------------------------------------------------
    async def run(self, seconds: float, rate: float) -> None:
        loop = asyncio.get_running_loop()
        interval = 1.0 / rate
        first = loop.time()
        for i in itertools.count():
            due = first + i * interval
            if due - first >= seconds:
                break
            delay = due - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if len(self._in_flight) >= self.max_in_flight:
                self.shed += 1
                continue
            kind = self.rng.choices(self._kinds, self._weights)[0]
            task = asyncio.create_task(self.request(kind))
            self._in_flight.add(task)
            task.add_done_callback(self._in_flight.discard)
        await self.settle()

    async def settle(self) -> None:
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)

    async def stop(self) -> None:
        """Abandon what is still in flight (an interrupted run)."""
        for task in list(self._in_flight):
            task.cancel()
        await self.settle()
