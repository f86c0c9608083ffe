"""The push outbox as Prometheus sees it: how much waits at each stage and for how long (read from
the database when scraped, on the API's /metrics and the worker's), and the outcomes written."""

from __future__ import annotations

from core.notifications.outbox import enqueue_push
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

    await enqueue_push(db, account_id=await _account_id(db, phone), type="bills", title="Счёт", body="1520.00 ₽",
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


async def test_push_05_fcm_latency_and_error_codes_are_counted(world, db, fcm, fake_fcm, http):
    """Rule: PUSH-05 — every batch call to FCM is timed by project, and every answer other than a
    success is counted by its FCM error code."""
    from tests.push.fake_fcm import Reply
    from tests.push.test_fcm import _push, _resident_with_token

    before = samples((await http.get("/metrics")).text)
    _, ok_account = await _resident_with_token(world, db, "tok-metrics-ok")
    _, gone_account = await _resident_with_token(world, db, "tok-metrics-gone")
    fake_fcm.fail_always("tok-metrics-gone", Reply("UNREGISTERED"))
    await _push(db, world, ok_account)
    await _push(db, world, gone_account)
    await fcm.drain()
    after = samples((await http.get("/metrics")).text)

    def grew(name: str, labels: tuple = ()) -> float:
        return after.get((name, labels), 0) - before.get((name, labels), 0)

    assert grew("fcm_errors_total", (("code", "UNREGISTERED"),)) == 1
    calls = [key for key in after if key[0] == "fcm_send_duration_seconds_count"]
    assert calls and sum(grew(*key) for key in calls) >= 1
