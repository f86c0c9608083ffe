"""Starting the push side of a worker: the transport (FCM, or the recorder without credentials,
PUSH-08) and the send loops."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from core.runtime import Runtime
from push import api
from push.config import PushConfig, push_config
from push.delivery import Deliverer
from push.transport import RecordingTransport, Transport

log = logging.getLogger(__name__)


async def make_transport(rt: Runtime, config: PushConfig) -> Transport:
    if not config.fcm_configured:
        return RecordingTransport()
    from push.fcm import FcmTransport

    transport = FcmTransport(config, rt.clock.now)
    await transport.warm_up()
    return transport


async def open_push(rt: Runtime, config: PushConfig | None = None) -> Deliverer:
    config = config or rt.extras.get("push_config") or push_config(rt.settings)
    api.use_clock(rt.clock)
    api.use_throttles(config.throttles)
    transport = rt.extras.get("push_transport") or await make_transport(rt, config)
    return Deliverer(rt, transport, config)


async def run_push(deliverer: Deliverer, stop: asyncio.Event) -> None:
    """`concurrency` loops: while one waits for FCM, another claims or writes statuses."""

    async def loop(index: int) -> None:
        while not stop.is_set():
            try:
                done = await deliverer.step()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database or FCM may be briefly away; nothing is lost
                log.exception("push loop %d failed; retrying", index)
                done = 0
                await asyncio.sleep(1.0)
            if not done:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=deliverer.config.idle_wait_seconds)

    await asyncio.gather(*(loop(i) for i in range(deliverer.config.concurrency)))
