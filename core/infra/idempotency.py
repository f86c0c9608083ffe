"""The stored first answers of requests sent with an `Idempotency-Key` (web/idempotency.py claims,
records and replays them), how long they are kept, and the job that forgets older ones."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Row, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.models import IdempotencyRecord
from core.infra.runtime import Runtime

# A client retries within minutes; a day covers a phone that comes back online the next morning.
RETENTION = timedelta(hours=24)


async def claim(db: AsyncSession, scope: str, key: str, request_hash: str, now: datetime) -> bool:
    """Claim the key for this request; False when a request committed first holds it (a concurrent
    one waits on the primary key until that one ends)."""
    claimed = (await db.execute(
        insert(IdempotencyRecord).values(scope=scope, key=key, request_hash=request_hash, created_at=now)
        .on_conflict_do_nothing().returning(IdempotencyRecord.key))).first()
    return claimed is not None


async def first_answer(db: AsyncSession, scope: str, key: str) -> Row:
    """The claimed key's request hash and recorded answer (status code and body)."""
    return (await db.execute(select(IdempotencyRecord.request_hash, IdempotencyRecord.status_code,
                                    IdempotencyRecord.body)
                             .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key))).one()


async def record_answer(db: AsyncSession, scope: str, key: str, status_code: int, body: bytes) -> None:
    await db.execute(update(IdempotencyRecord)
                     .where(IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)
                     .values(status_code=status_code, body=body))


async def purge_idempotency_records(rt: Runtime, db: AsyncSession) -> int:
    result = await db.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < rt.clock.now() - RETENTION))
    return result.rowcount or 0
