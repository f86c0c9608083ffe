"""Real worker processes against a separate database and the fake FCM (PUSH-05): a worker
killed with SIGKILL mid-batch loses nothing and duplicates nothing on the phone."""

from __future__ import annotations

import signal

from sqlalchemy.ext.asyncio import create_async_engine

from tests.push.outage_support import (all_sent, enqueue, fake_accepted, own_database, seed_devices,  # noqa: F401
                                       shown_once_each, start_worker, wait_until)

N = 600


async def test_push_05_worker_killed_mid_batch_loses_nothing_and_resends_under_the_same_tag(
        own_database, base_settings, fake_fcm, fcm_key):  # noqa: F811
    """Rule: PUSH-05"""
    engine = create_async_engine(own_database)
    await seed_devices(engine, "kill-", N)
    await enqueue(engine, 0, N)
    fake_fcm.received.clear()
    fake_fcm.storm_until = None
    fake_fcm.delay = 0.01
    first = start_worker(own_database, base_settings, fcm_key, fake_fcm)
    second = None
    try:
        assert await wait_until(lambda: fake_accepted(fake_fcm, 150), 60)
        first.send_signal(signal.SIGKILL)
        first.wait()
        fake_fcm.delay = 0.0
        second = start_worker(own_database, base_settings, fcm_key, fake_fcm)
        assert await wait_until(all_sent(engine, N), 90)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=20)
    resent = await shown_once_each(engine, fake_fcm, N)
    await engine.dispose()
    assert resent > 0  # the killed worker's claimed batch came back
