"""The push outbox as Prometheus sees it: how much waits at each stage and for how long (read from
the database when scraped, on the API's /metrics and the worker's), and the outcomes written."""

from __future__ import annotations


from push import api
from tests.push.conftest import new_phone
from tests.push.test_outbox import _account_id
from tests.web.test_metrics import samples


def outbox(text: str) -> dict[str, tuple[float, float]]:
    found = samples(text)
    return {stage: (found[("push_outbox_depth", (("stage", stage),))],
                    found[("push_outbox_oldest_age_seconds", (("stage", stage),))]) for stage in ("fan_out", "delivery")}


async def test_push_05_outbox_depth_age_and_outcomes(world, db, recorded, http, clock):
    """Rule: PUSH-05 — what waits, since when, and what became of it."""
    phone = new_phone()
    await world.client(phone)
    for token in ("tok-a", "tok-b"):
        await world.device(await world.resident(phone), fcm_token=token, os_notifications_enabled=True)
    before = samples((await http.get("/metrics")).text)
    assert outbox((await http.get("/metrics")).text) == {"fan_out": (0, 0), "delivery": (0, 0)}

    await api.enqueue_push(db, account_id=await _account_id(db, phone), type="bills", title="Счёт", body="1520.00 ₽",
                           partner_id=world.partner_id, premise_id=world.premise_id)
    await db.commit()
    clock.advance(seconds=90)
    assert outbox((await http.get("/metrics")).text) == {"fan_out": (1, 90), "delivery": (0, 0)}

    await recorded.fan_out()  # one notification, two devices
    clock.advance(seconds=30)
    assert outbox((await http.get("/metrics")).text) == {"fan_out": (0, 0), "delivery": (2, 30)}

    await recorded.drain()
    after = (await http.get("/metrics")).text
    assert outbox(after) == {"fan_out": (0, 0), "delivery": (0, 0)}
    key = ("push_deliveries_total", (("outcome", "recorded"),))
    assert samples(after)[key] - before.get(key, 0) == 2
