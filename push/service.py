"""Starting the push side of a worker: the transport (FCM, or the recorder without credentials,
PUSH-08) and the send loops."""

from __future__ import annotations

import asyncio
import logging

from core.infra.lanes import priority_of
from core.notifications import outbox
from core.infra.runtime import Runtime, database_url_of
from push.config import PushConfig, push_config
from push.delivery import Deliverer
from push.transport import RecordingTransport, Transport
from push.wakeup import Wakeup

log = logging.getLogger(__name__)
SETTLE_SECONDS = 10.0


async def make_transport(rt: Runtime, config: PushConfig) -> Transport:
    if not config.fcm_configured:
        return RecordingTransport()
    from push.fcm import FcmTransport

    transport = FcmTransport(config, rt.clock.now)
    await transport.warm_up()
    return transport


async def open_push(rt: Runtime, config: PushConfig | None = None) -> Deliverer:
    config = config or rt.extras.get("push_config") or push_config(rt.settings)
    outbox.use_throttles(config.throttles)
    transport = rt.extras.get("push_transport") or await make_transport(rt, config)
    return Deliverer(rt, transport, config)


async def run_push(deliverer: Deliverer, stop: asyncio.Event, wakeup: Wakeup | None = None) -> None:
    """`concurrency` send pipelines (one is enough to keep a batch always with FCM), woken from
    their idle wait by PostgreSQL's notification of new work."""
    wakeup = wakeup or Wakeup(database_url_of(deliverer.rt.settings) if deliverer.config.listen else None)
    listener = asyncio.create_task(wakeup.run(stop), name="push wake-ups")
    try:
        await asyncio.gather(*(_pipeline(deliverer, stop, wakeup, i) for i in range(deliverer.config.concurrency)))
    finally:
        listener.cancel()
        await asyncio.gather(listener, return_exceptions=True)


async def _pipeline(deliverer: Deliverer, stop: asyncio.Event, wakeup: Wakeup, index: int) -> None:
    """While a batch is with FCM, the next one is fanned out and claimed and the previous one's
    statuses are written, so sending never waits for the database. On stop the batch in flight
    is finished and written, and the batch claimed ahead goes back to the queue at once (not at
    the end of its lease)."""
    ahead: asyncio.Task | None = None
    writing: asyncio.Task | None = None
    priority = priority_of(deliverer.rt)
    try:
        while not stop.is_set():
            try:
                task, ahead = ahead, None
                batch = await task if task is not None else await deliverer.prepare()
                if not batch:
                    await wakeup.wait(stop, deliverer.config.idle_wait_seconds)
                    deliverer.ramp_up()
                    continue
                if stop.is_set():
                    await deliverer.release_batch(batch)
                    break
                with priority.foreground():  # background lanes (imports) wait for a rest
                    ahead = asyncio.create_task(deliverer.prepare())
                    results = await deliverer.send_batch(batch)
                    if writing is not None:
                        await writing  # one write at a time; its failure surfaces here
                    writing = asyncio.create_task(deliverer.write_outcomes(batch, results))
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database or FCM may be briefly away; nothing is lost
                # What was claimed and not written stays `sending`: it is sent again (same collapse
                # id) when its lease ends.
                log.exception("push pipeline %d failed; retrying", index)
                writing = None
                await asyncio.sleep(1.0)
    finally:
        await _settle(deliverer, ahead, writing)


async def _settle(deliverer: Deliverer, ahead: asyncio.Task | None, writing: asyncio.Task | None) -> None:
    """Write the last outcomes and return the batch claimed ahead; bounded, as the database may be
    down (then the leases bring the work back)."""
    try:
        async with asyncio.timeout(SETTLE_SECONDS):
            if writing is not None:
                await writing
            if ahead is not None:
                await deliverer.release_batch(await ahead)
    except Exception as exc:  # noqa: BLE001 - leases return whatever could not be settled here
        log.warning("push pipeline stopped without settling its work (%s); leases will return it",
                    type(exc).__name__)
