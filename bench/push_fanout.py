"""Push fan-out throughput: (a) the raw firebase-admin SDK pushing N messages to a loopback fake
FCM, (b) our pipeline fanning a mailing out to N devices end to end (outbox -> FCM accepted ->
statuses written) in one worker process. `python -m bench push_fanout` — N from PUSH_BENCH_N
(default 2000 so `make bench` stays short; the issue asks for 20000 and 200000)."""

from __future__ import annotations

import asyncio
import os
import resource
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import text


def main(argv: list[str]) -> None:
    asyncio.run(_main(int(os.environ.get("PUSH_BENCH_N", "2000"))))


async def _main(n: int) -> None:
    import firebase_admin
    from firebase_admin import credentials, messaging
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    from core.db import async_url
    from core.migrate import upgrade_async
    from core.runtime import database_url_of, open_runtime
    from core.settings import load_settings
    from push.config import PushConfig
    from push.delivery import Deliverer
    from push.fcm import FcmTransport
    from push.mailings import RecipientFilter, create_mailing
    from tests.push.fake_fcm import FakeFcm, service_account_key

    fake = FakeFcm().start()
    fake.record = False
    key = service_account_key(Path(tempfile.mkdtemp()) / "key.json", fake.base_url + "/token")
    config = PushConfig(credentials=str(key), fcm_base_url=fake.base_url)

    # (a) the raw SDK, retries off as in our transport
    transport = FcmTransport(config, lambda: None)
    service = transport.projects["*"].service
    msgs = [messaging.Message(token=f"bench-{i}", data={"i": str(i)}) for i in range(n)]
    started = time.perf_counter()
    for i in range(0, n, 500):
        await service.send_each_async(msgs[i:i + 500], dry_run=False)
    raw = n / (time.perf_counter() - started)
    await transport.close()
    print(f"(a) raw SDK send_each_async: {n} messages, {raw:,.0f}/s", flush=True)

    # (b) the pipeline on its own database
    settings = load_settings()
    base = make_url(async_url(database_url_of(settings)))
    name = f"bench_push_{uuid.uuid4().hex[:6]}"
    admin = create_async_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        await upgrade_async(url)
        import msgspec

        rt = open_runtime(msgspec.structs.replace(settings, database_url=url))
        async with rt.engine.begin() as conn:
            partner = await conn.scalar(text("INSERT INTO partner (name, kind) VALUES ('Bench', 'management') "
                                             "RETURNING id"))
            await conn.execute(text("""
                INSERT INTO account (phone) SELECT '+7901' || lpad(i::text, 7, '0') FROM generate_series(1, :n) i"""),
                               {"n": n})
            await conn.execute(text("""INSERT INTO client (partner_id, phone, last_name, first_name)
                                       SELECT :p, phone, 'Иванов', 'Иван' FROM account"""), {"p": partner})
            await conn.execute(text("""INSERT INTO device_session (account_id, app_id, platform, fcm_token,
                                       os_notifications_enabled)
                                       SELECT id, 'domiland', 'android', 'b-' || phone, TRUE FROM account"""))
        from core.partners.service import PartnerPrincipal

        actor = PartnerPrincipal(partner_id=partner, actor_type="api_key", actor_id=uuid.uuid4())
        transport = FcmTransport(config, rt.clock.now)
        await transport.warm_up()
        deliverer = Deliverer(rt, transport, config)
        started = time.perf_counter()
        async with rt.sessionmaker() as db:
            await create_mailing(db, actor, channel="push", title="Бенчмарк", body="Текст", flt=RecipientFilter(),
                                 now=rt.clock.now())
            await db.commit()
        stop = asyncio.Event()

        async def loop() -> None:
            while not stop.is_set():
                if not await deliverer.step():
                    await asyncio.sleep(0.05)

        loops = [asyncio.create_task(loop()) for _ in range(config.concurrency)]
        while True:
            async with rt.engine.connect() as conn:
                sent = await conn.scalar(text("SELECT count(*) FROM push_delivery WHERE status = 'sent'"))
            if sent >= n:
                break
            await asyncio.sleep(0.2)
        elapsed = time.perf_counter() - started
        stop.set()
        await asyncio.gather(*loops)
        await transport.close()
        await rt.close()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        pipe = n / elapsed
        print(f"(b) pipeline, 1 worker: {n} devices end to end in {elapsed:.1f} s, {pipe:,.0f}/s "
              f"({pipe / raw:.2f} x raw SDK), peak RSS {rss:.0f} MiB", flush=True)
        print(f"    FCM's quota of 10,000/s per project needs about {10_000 / pipe:.0f} such worker processes",
              flush=True)
    finally:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
        fake.stop()
        for app in list(firebase_admin._apps.values()):
            firebase_admin.delete_app(app)
