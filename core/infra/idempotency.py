"""How long the first answers of requests sent with an `Idempotency-Key` are kept
(web/idempotency.py records and replays them), and the job that forgets older ones."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import IdempotencyRecord
from core.infra.runtime import Runtime

# A client retries within minutes; a day covers a phone that comes back online the next morning.
RETENTION = timedelta(hours=24)


async def purge_idempotency_records(rt: Runtime, db: AsyncSession) -> int:
    result = await db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < rt.clock.now() - RETENTION))
    return result.rowcount or 0
