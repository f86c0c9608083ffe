"""The worker's cost per chunk of a push mailing (push/mailings.py): one mailing to N app users,
fanned out chunk by chunk as the worker does, each chunk timed; then every recipient is checked
to be queued exactly once. A chunk's cost should follow the chunk, not the size of the mailing.

`python -m bench mailing_chunks`; N from MAILING_BENCH_N, a comma list (default 20000,200000),
the chunk from MAILING_BENCH_CHUNK (default the worker's, 2,000). Each size gets a fresh database
on DATABASE_URL's server (the embedded PostgreSQL when unset), dropped at the end."""

from __future__ import annotations

import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from bench import Figure

# Targets: a chunk of the largest mailing costs at most this much more than one of the smallest
# (the cost follows the chunk, not the mailing), and a chunk of 2,000 costs under a fifth of the
# 2 s one worker takes to send it to FCM (about 1,000 messages/s).
TARGET_GROWTH = 1.5
TARGET_CHUNK_MS = 400.0


def main(argv: list[str]) -> list[Figure]:
    sizes = [int(n) for n in os.environ.get("MAILING_BENCH_N", "20000,200000").split(",") if n.strip()]
    chunk = int(os.environ.get("MAILING_BENCH_CHUNK", "2000"))
    return asyncio.run(_main(sizes, chunk))


async def _main(sizes: list[int], chunk: int) -> list[Figure]:
    from core.infra.database_url import with_database
    from core.infra.db import create_engine
    from core.infra.runtime import database_url_of
    from core.infra.settings import load_settings

    base = database_url_of(load_settings())
    admin = create_engine(with_database(base, "postgres"), pool_size=1, isolation_level="AUTOCOMMIT")
    results: dict[int, list[float]] = {}
    try:
        for n in sizes:
            name = f"bench_mailing_{uuid.uuid4().hex[:6]}"
            async with admin.connect() as conn:
                await conn.execute(text(f'CREATE DATABASE "{name}"'))
            try:
                results[n] = await _run(with_database(base, name), n, chunk)
            finally:
                async with admin.connect() as conn:
                    await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        await admin.dispose()
    return _summary(results, chunk)


async def _run(url: str, n: int, chunk: int) -> list[float]:
    import msgspec

    from bench.push_fanout import _seed
    from core.infra.db import commit
    from core.infra.settings import load_settings
    from core.notifications.mailings import RecipientFilter, create_mailing
    from core.partners.service import PartnerPrincipal
    from core.process import open_runtime
    from push.config import push_config
    from push.mailings import fan_out_mailing_chunk

    await _seed(url, n)
    settings = msgspec.structs.replace(load_settings(), database_url=url)
    rt = open_runtime(settings, pool_size=2)
    config = push_config(settings)
    timings: list[float] = []
    try:
        async with rt.sessionmaker() as db:
            partner = await db.scalar(text("SELECT id FROM partner"))
            actor = PartnerPrincipal(partner_id=partner, actor_type="api_key", actor_id=uuid.uuid4())
            mailing = await create_mailing(db, actor, channel="push", title="Бенчмарк", body="Текст",
                                           flt=RecipientFilter(), now=datetime.now(UTC))
            await commit(db)
        while True:
            started = time.perf_counter()
            done = await fan_out_mailing_chunk(rt, config, chunk)
            if not done:
                break
            timings.append((time.perf_counter() - started) * 1000)
        async with rt.sessionmaker() as db:
            queued, messages, distinct, status = (await db.execute(text("""
                SELECT (SELECT count(*) FROM mailing_recipient WHERE mailing_id = :id AND status = 'queued'
                        AND push_message_id IS NOT NULL),
                       (SELECT count(*) FROM push_message WHERE mailing_id = :id),
                       (SELECT count(DISTINCT account_id) FROM push_message WHERE mailing_id = :id),
                       (SELECT status FROM mailing WHERE id = :id)"""), {"id": mailing.id})).one()
    finally:
        await rt.close()
    if not (queued == messages == distinct == n and status == "done"):
        raise RuntimeError(f"N={n}: {queued} recipients queued, {messages} pushes for {distinct} accounts, "
                           f"mailing {status}")
    print(f"N={n:,}: {len(timings)} chunks of {chunk:,}: mean {statistics.fmean(timings):.1f} ms, "
          f"median {statistics.median(timings):.1f} ms, max {max(timings):.1f} ms; every recipient queued once",
          flush=True)
    return timings


def _summary(results: dict[int, list[float]], chunk: int) -> list[Figure]:
    if not results:
        return []
    sizes = sorted(results)
    mean = {n: statistics.fmean(results[n]) for n in sizes}
    largest = sizes[-1]
    figures = [Figure("mailing_chunks", f"N={largest:,}: mean ms per chunk of {chunk:,}", f"< {TARGET_CHUNK_MS:.0f} ms",
                      f"{mean[largest]:.1f} ms", mean[largest] < TARGET_CHUNK_MS)]
    if len(sizes) > 1:
        growth = mean[largest] / mean[sizes[0]]
        figures.append(Figure("mailing_chunks", f"chunk cost, N={sizes[0]:,} -> {largest:,}",
                              f"<= {TARGET_GROWTH}x", f"{mean[sizes[0]]:.1f} -> {mean[largest]:.1f} ms ({growth:.2f}x)",
                              growth <= TARGET_GROWTH))
    return figures


if __name__ == "__main__":
    import sys

    from bench.__main__ import print_verdicts

    print_verdicts(main(sys.argv[1:]))
