"""Push test fixtures: the outbox clock, a partner world built in the test's transaction, the
fake FCM server and a Deliverer wired to the real firebase-admin SDK."""

from __future__ import annotations

import random
import uuid
from collections.abc import AsyncIterator

import pytest

from core.models import Client, EstateObject, Premise
from core.notifications import outbox
from core.notifications.rules import DEFAULT_THROTTLES
from push.config import PushConfig
from push.delivery import Deliverer
from push.fcm import FcmTransport
from push.transport import RecordingTransport
from tests.push.fake_fcm import FakeFcm, service_account_key
from tests.support import create_brand, create_partner, login_resident, staff_headers

_phones = iter(range(1000, 9999))


@pytest.fixture(autouse=True)
def outbox_throttles():
    outbox.use_throttles(DEFAULT_THROTTLES)
    yield


def new_phone() -> str:
    return f"+7999{next(_phones):07d}"


class World:
    """A partner with a brand, an object, a premise and helpers for clients and residents."""

    def __init__(self, http, db):
        self.http, self.db = http, db

    async def setup(self) -> World:
        self.partner_id = uuid.UUID(await create_partner(self.http))
        self.brand = await create_brand(self.http, str(self.partner_id))
        obj = EstateObject(partner_id=self.partner_id, name="ЖК Солнечный", address="ул. Ленина, 5",
                           brand_id=uuid.UUID(self.brand["id"]))
        self.db.add(obj)
        await self.db.flush()
        self.object_id = obj.id
        premise = Premise(partner_id=self.partner_id, object_id=obj.id, type="apartment", street="Ленина",
                          house="5", number="12")
        self.db.add(premise)
        await self.db.flush()
        self.premise_id = premise.id
        await self.db.commit()
        self.staff = await staff_headers(self.http, str(self.partner_id))
        return self

    async def client(self, phone: str | None = None, **fields) -> Client:
        client = Client(partner_id=self.partner_id, phone=phone or new_phone(), last_name="Иванов",
                        first_name="Иван", **fields)
        self.db.add(client)
        await self.db.flush()
        await self.db.commit()
        return client

    async def resident(self, phone: str, **device) -> dict:
        """Log a resident in (by default in the partner's white-label app, whose sessions the
        partner sees: STAFF-04); returns the login answer plus `headers`."""
        device.setdefault("app_id", self.brand["slug"])
        answer = await login_resident(self.http, phone, **device)
        answer["headers"] = {"Authorization": f"Bearer {answer['access_token']}"}
        return answer

    async def device(self, resident: dict, **body) -> dict:
        response = await self.http.put("/app/v1/device", json=body, headers=resident["headers"])
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture
async def world(http, db) -> World:
    return await World(http, db).setup()


class ScriptedTransport:
    """An in-memory transport for the delivery logic (the SDK path has its own tests)."""

    name = "fcm"

    def __init__(self):
        self.sent = []
        self.answers = {}

    async def send(self, batch):
        from push.transport import SendResult

        out = []
        for push in batch:
            self.sent.append(push)
            script = self.answers.get(push.token)
            out.append(script.pop(0) if script else SendResult("sent", fcm_message_id=f"m{len(self.sent)}"))
        return out

    async def close(self):
        pass


@pytest.fixture
def recorded(runtime) -> Deliverer:
    return Deliverer(runtime, RecordingTransport(), PushConfig(), rng=random.Random(7))


@pytest.fixture
def scripted(runtime) -> Deliverer:
    return Deliverer(runtime, ScriptedTransport(), PushConfig(), rng=random.Random(7))


@pytest.fixture(scope="session")
def fake_fcm(clock) -> FakeFcm:
    fake = FakeFcm(now=clock.now).start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def fcm_key(tmp_path_factory, fake_fcm):
    return service_account_key(tmp_path_factory.mktemp("fcm") / "key.json", fake_fcm.base_url + "/token")


@pytest.fixture
async def fcm(runtime, fake_fcm, fcm_key) -> AsyncIterator[Deliverer]:
    """A Deliverer sending through firebase-admin to the fake FCM server."""
    fake_fcm.received.clear()
    fake_fcm.per_token.clear()
    fake_fcm.always.clear()
    fake_fcm.storm_until = None
    fake_fcm.delay = 0.0
    config = PushConfig(credentials=str(fcm_key), fcm_base_url=fake_fcm.base_url, http_timeout_seconds=5)
    transport = FcmTransport(config, runtime.clock.now)
    yield Deliverer(runtime, transport, config, rng=random.Random(7))
    await transport.close()


@pytest.fixture(scope="session")
def fake_sms_gateway():
    from tests.push.fake_sms import FakeSmsGateway

    fake = FakeSmsGateway().start()
    yield fake
    fake.stop()


def use_sms_gateway(runtime, fake, monkeypatch, mode: str = "ok"):
    """From now on the runtime's SMS provider is the `webhook` one, pointed at the fake gateway
    (residents log in before: their codes come from the debug provider)."""
    from core.infra.sms import WebhookSmsProvider

    fake.reset(mode)
    monkeypatch.setattr(runtime, "sms", WebhookSmsProvider(fake.url, runtime.settings.sms_timeout_seconds))
    return fake


@pytest.fixture
def sms_gateway(runtime, fake_sms_gateway, monkeypatch):
    yield use_sms_gateway(runtime, fake_sms_gateway, monkeypatch)
    fake_sms_gateway.release.set()
