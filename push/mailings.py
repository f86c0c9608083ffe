"""The worker's side of mailings (PUSH-06), written by core/notifications/mailings.py.

Push: in chunks, one outbox notification per app account, inside the push pipeline. SMS: in a
lane of the worker of its own (the gateway may be slow or dead; pushes never wait for it), one
recipient at a time: claimed under a lease and committed, sent with a timeout and the
recipient's idempotency key (a resend after a crash is the same message to the gateway), its
outcome recorded on its own; a failure is retried later with backoff and `failed` after
SMS_MAX_ATTEMPTS."""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.db import commit
from core.models import Mailing, MailingRecipient
from core.infra.runtime import Runtime
from core.scope import session_seen_sql
from push.config import PushConfig
from push.rules import RetryPolicy, backoff_seconds

log = logging.getLogger(__name__)

# Oldest mailing first, each through its own pending recipients (the partial index of open
# recipients by mailing_id): a claim reads only the rows it takes. Ordering all pending recipients of every
# mailing instead sorted the whole remainder of a large mailing once per chunk. The claim hands
# back what the chunk needs of each recipient, so the chunk reads mailing_recipient again only to
# update the claimed rows.
_CLAIM_RECIPIENTS = text("""
    SELECT r.id, r.mailing_id, r.client_id
    FROM (SELECT m.id FROM mailing m WHERE m.status <> 'done' AND m.channel = 'push'
          ORDER BY m.created_at, m.id) m
    CROSS JOIN LATERAL (
        SELECT r.id, r.mailing_id, r.client_id FROM mailing_recipient r
        WHERE r.mailing_id = m.id AND r.status = 'pending'
        LIMIT :limit
        FOR UPDATE OF r SKIP LOCKED
    ) r
    LIMIT :limit
""")

# One outbox notification per app account (two cards with one phone get one push), deduplicated
# per mailing so a re-run of a chunk adds nothing. Only an account that used an app the partner
# sees counts as an app user (STAFF-04): what a phone does in another partner's white-label app
# reads as `no_app`, as if it had no app at all.
# Every lookup is per claimed row, by index, so a chunk costs the same in a mailing of 20,000 as
# of 200,000: a plain join let the planner hash the whole client and account tables (and, for a
# chunk run again, push_message) once per chunk. The LIMIT 1 (a card has one phone, a phone one
# account, a dedup key one message) keeps each lookup a lateral index probe.
_PUSH_CHUNK = text(f"""
    WITH chunk AS (
        SELECT r.id AS recipient_id, r.mailing_id, app.account_id
        FROM unnest(CAST(:ids AS uuid[]), CAST(:mailing_ids AS uuid[]), CAST(:client_ids AS uuid[]))
             AS r(id, mailing_id, client_id)
        JOIN mailing rm ON rm.id = r.mailing_id
        LEFT JOIN LATERAL (
            SELECT a.id AS account_id FROM client c JOIN account a ON a.phone = c.phone
            WHERE c.id = r.client_id AND EXISTS (
                SELECT 1 FROM device_session s
                WHERE s.account_id = a.id
                  AND {session_seen_sql(app_id="s.app_id", account_id="s.account_id", partner_id="rm.partner_id")})
            LIMIT 1
        ) app ON TRUE
    ), queued AS (
        INSERT INTO push_message (id, account_id, partner_id, brand_id, mailing_id, type, title, body, data,
                                  dedup_key, created_at, available_at)
        SELECT DISTINCT ON (chunk.mailing_id, chunk.account_id)
               gen_random_uuid(), chunk.account_id, m.partner_id, p.default_brand_id, m.id, 'mailings', m.title,
               m.body, jsonb_build_object('mailing_id', m.id::text),
               'mailing:' || m.id::text || ':' || chunk.account_id::text, :now, :now
        FROM chunk JOIN mailing m ON m.id = chunk.mailing_id JOIN partner p ON p.id = m.partner_id
        WHERE chunk.account_id IS NOT NULL
        ON CONFLICT (dedup_key) DO NOTHING
        RETURNING id, dedup_key
    )
    -- Joins, not a subquery per row: a correlated scan of `queued` was quadratic in the chunk.
    -- The statement cannot see its own inserts, so rows written by an earlier run come from
    -- push_message (looked up only for those) and this run's from `queued`.
    UPDATE mailing_recipient r
    SET status = CASE WHEN chunk.account_id IS NULL THEN 'no_app' ELSE 'queued' END,
        account_id = chunk.account_id,
        push_message_id = COALESCE(q.id, (
            SELECT pm.id FROM push_message pm
            WHERE pm.dedup_key = 'mailing:' || chunk.mailing_id::text || ':' || chunk.account_id::text)),
        updated_at = :now
    FROM chunk
    LEFT JOIN queued q ON q.dedup_key = 'mailing:' || chunk.mailing_id::text || ':' || chunk.account_id::text
    WHERE r.id = chunk.recipient_id
""")

# One probe of the partial index of open recipients (pending or sending) by mailing_id, whose
# predicate is exactly this one: a plain index scan stops at the first open recipient, and marks
# the entries of recipients done since as dead, so neither it nor the next claim reads them again.
# Without that index the check read a bitmap of every recipient the mailing ever had and their
# rows: a chunk of a mailing of 200,000 cost more the further it got.
_FINISH = text("""
    UPDATE mailing m SET status = 'done', finished_at = :now
    WHERE m.id = ANY(:ids) AND m.status <> 'done'
      AND NOT EXISTS (SELECT 1 FROM mailing_recipient r WHERE r.mailing_id = m.id
                      AND r.status IN ('pending', 'sending'))
""")


async def fan_out_mailing_chunk(rt: Runtime, config: PushConfig, limit: int | None = None) -> int:
    """Process one chunk of pending push recipients across mailings (`limit`, by default the
    configured chunk); 0 when none are pending."""
    now = rt.clock.now()
    async with rt.sessionmaker() as db:
        # The chunk's plan is costed past the JIT threshold while it runs in tens of milliseconds:
        # compiling it took longer than running it.
        await db.execute(text("SET LOCAL jit = off"))
        rows = (await db.execute(_CLAIM_RECIPIENTS, {"limit": limit or config.mailing_chunk})).all()
        if not rows:
            return 0
        mailing_ids = sorted({row.mailing_id for row in rows})
        await db.execute(update(Mailing).where(Mailing.id.in_(mailing_ids), Mailing.status == "pending")
                         .values(status="sending"))
        await db.execute(_PUSH_CHUNK, {"ids": [row.id for row in rows], "mailing_ids": [row.mailing_id for row in rows],
                                       "client_ids": [row.client_id for row in rows], "now": now})
        await db.execute(_FINISH, {"ids": mailing_ids, "now": now})
        await commit(db)
        return len(rows)


# SMS recipients sent at once by one worker, and the retry policy of a failed one.
SMS_CONCURRENCY = 4
SMS_RETRY = RetryPolicy(base_seconds=30.0, max_delay_seconds=1800.0)

# A claim is a lease: `sending` until next_attempt_at; a worker that died mid-send leaves it
# there, and the next claim after the lease sends it again under the same idempotency key.
_CLAIM_SMS = text("""
    WITH due AS (
        SELECT r.id FROM mailing_recipient r JOIN mailing m ON m.id = r.mailing_id
        WHERE r.status IN ('pending', 'sending') AND m.channel = 'sms'
          AND (r.next_attempt_at IS NULL OR r.next_attempt_at <= :now)
        ORDER BY r.next_attempt_at NULLS FIRST
        LIMIT :limit
        FOR UPDATE OF r SKIP LOCKED
    )
    UPDATE mailing_recipient r
    SET status = 'sending', attempts = r.attempts + 1, next_attempt_at = :lease_end, updated_at = :now
    FROM due, client c, mailing m
    WHERE r.id = due.id AND c.id = r.client_id AND m.id = r.mailing_id
    RETURNING r.id, r.mailing_id, r.attempts, c.phone, m.body
""")


@dataclass(frozen=True, slots=True)
class SmsClaim:
    id: uuid.UUID
    mailing_id: uuid.UUID
    attempts: int
    phone: str | None
    body: str


async def send_sms_mailings(rt: Runtime, db: AsyncSession | None = None) -> int:
    """The worker's SMS lane: send every due SMS recipient, SMS_CONCURRENCY at a time; returns
    how many were tried. A round in which every send failed ends the run (the gateway is away;
    the next run, a tick later, tries the recipients still due)."""
    done = 0
    while True:
        claimed = await claim_sms(rt, SMS_CONCURRENCY)
        if not claimed:
            return done
        outcomes = await asyncio.gather(*(send_sms(rt, item) for item in claimed))
        done += len(claimed)
        if not any(outcomes):
            return done


async def claim_sms(rt: Runtime, limit: int) -> list[SmsClaim]:
    now = rt.clock.now()
    lease_end = now + timedelta(seconds=2 * rt.settings.sms_timeout_seconds + 30)
    async with rt.sessionmaker() as db:
        rows = (await db.execute(_CLAIM_SMS, {"now": now, "limit": limit, "lease_end": lease_end})).all()
        if rows:
            await db.execute(update(Mailing).where(Mailing.id.in_({row.mailing_id for row in rows}),
                                                   Mailing.status == "pending").values(status="sending"))
        await commit(db)
    return [SmsClaim(*row) for row in rows]


async def send_sms(rt: Runtime, item: SmsClaim) -> bool:
    """Send one claimed recipient and record the outcome; True when the gateway took it."""
    max_attempts = rt.settings.sms_max_attempts
    error: str | None = None
    async with rt.sessionmaker() as db:
        if not item.phone:
            error = "no_phone"
        elif item.attempts > max_attempts:  # claimed again after its last lease: its sends never came back
            error = f"gave up after {max_attempts} attempts"
        else:
            try:
                # No transaction is open yet: no connection is held while the gateway thinks.
                await rt.sms.send(db, item.phone, item.body, idempotency_key=f"mailing-recipient:{item.id}")
            except Exception as exc:  # noqa: BLE001 - one failed SMS must not stop the lane
                error = str(exc)[:300] or type(exc).__name__
                log.warning("SMS of mailing %s failed (attempt %d): %s", item.mailing_id, item.attempts, error)
        now = rt.clock.now()
        if error is None:
            values = {"status": "sent", "error": None, "next_attempt_at": None}
        elif error == "no_phone" or item.attempts >= max_attempts:
            values = {"status": "failed", "error": error, "next_attempt_at": None}
        else:
            delay = backoff_seconds(item.attempts, SMS_RETRY, rng=random.Random())
            values = {"status": "pending", "error": error, "next_attempt_at": now + timedelta(seconds=delay)}
        # Written only while this claim holds: after its lease another worker owns the recipient.
        await db.execute(update(MailingRecipient).where(
            MailingRecipient.id == item.id, MailingRecipient.status == "sending",
            MailingRecipient.attempts == item.attempts).values(updated_at=now, **values))
        await db.execute(_FINISH, {"ids": [item.mailing_id], "now": now})
        await commit(db)
    return error is None
