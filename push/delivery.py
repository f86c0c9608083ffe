"""The outbox's worker side: fan a notification out to its recipients' sessions, claim due deliveries
under a lease (FOR UPDATE SKIP LOCKED), send them, write the outcome (README: Running the worker)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from core.changes import EVERYONE, changes
from core.infra.db import commit
from core.infra.metrics import count_push_outcomes
from core.notifications.rules import skip_reason, skip_reason_sql
from core.infra.runtime import Runtime
from core.scope import session_seen_sql
from push import rules
from push.config import PushConfig
from push.transport import OutgoingPush, SendResult, Transport

log = logging.getLogger(__name__)

_FAN_OUT_CLAIM = text("""
    SELECT id FROM push_message
    WHERE fanned_out_at IS NULL AND available_at <= :now
    ORDER BY available_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
""")

# PUSH-04 in SQL: every active session of the account gets a row; those that must not receive
# this type are written `skipped` with the reason, so staff can tell why a device got nothing.
# A partner's notification reaches only the sessions of the apps that partner sees (STAFF-04):
# never another partner's white-label app.
_FAN_OUT = text(f"""
    INSERT INTO push_delivery (id, message_id, session_id, status, error, next_attempt_at, created_at)
    SELECT gen_random_uuid(), m.id, s.id, CASE WHEN r.reason IS NULL THEN 'pending' ELSE 'skipped' END, r.reason,
           :now, :now
    FROM push_message m
    JOIN device_session s ON s.account_id = m.account_id AND s.deactivated_at IS NULL
    CROSS JOIN LATERAL (SELECT {skip_reason_sql("s", "m.type")} AS reason) r
    WHERE m.id = ANY(:ids)
      AND (m.partner_id IS NULL OR {session_seen_sql(app_id="s.app_id", account_id="s.account_id", partner_id="m.partner_id")})
    ON CONFLICT (message_id, session_id) DO NOTHING
""")

_MARK_FANNED_OUT = text("UPDATE push_message SET fanned_out_at = :now WHERE id = ANY(:ids)")

_CLAIM = text("""
    WITH due AS (
        SELECT id, status AS was FROM push_delivery
        WHERE status IN ('pending', 'sending') AND next_attempt_at <= :now
        ORDER BY next_attempt_at
        LIMIT :limit
        FOR UPDATE SKIP LOCKED
    )
    UPDATE push_delivery d
    SET status = 'sending',
        attempts = d.attempts + 1,
        -- still `sending` means the last holder vanished or got no answer: its fate is unknown
        resends = d.resends + CASE WHEN d.status = 'sending' THEN 1 ELSE 0 END,
        lease_until = :lease_end,
        next_attempt_at = :lease_end,
        claim_id = :claim
    FROM due, push_message m LEFT JOIN brand b ON b.id = m.brand_id, device_session s
    WHERE d.id = due.id AND m.id = d.message_id AND s.id = d.session_id
    RETURNING d.id, due.was, d.message_id, d.session_id, d.attempts, d.created_at,
              s.fcm_token, s.app_id, s.platform, s.deactivated_at, s.os_notifications_enabled,
              s.notification_types, m.type, m.title, m.body, m.deep_link, m.data, m.premise_id, b.slug
""")

_WRITE = text("""
    UPDATE push_delivery d
    SET status = v.status, error = v.error, fcm_message_id = v.fcm_message_id, token = v.token,
        next_attempt_at = v.next_attempt_at, sent_at = v.sent_at, attempts = v.attempts,
        lease_until = NULL, claim_id = NULL
    FROM unnest(CAST(:ids AS uuid[]), CAST(:statuses AS text[]), CAST(:errors AS text[]),
                CAST(:fcm_ids AS text[]), CAST(:tokens AS text[]), CAST(:next_at AS timestamptz[]),
                CAST(:sent_at AS timestamptz[]), CAST(:attempts AS int[]))
         AS v(id, status, error, fcm_message_id, token, next_attempt_at, sent_at, attempts)
    WHERE d.id = v.id AND d.claim_id = :claim
""")

# A claimed batch the worker will not send (it is stopping) goes back as it was, due at once:
# the claim's attempt and resend are taken back, so nothing is counted twice.
_RELEASE = text("""
    UPDATE push_delivery d
    SET status = v.was, attempts = d.attempts - 1,
        resends = d.resends - CASE WHEN v.was = 'sending' THEN 1 ELSE 0 END,
        lease_until = NULL, claim_id = NULL, next_attempt_at = :now
    FROM unnest(CAST(:ids AS uuid[]), CAST(:was AS text[])) AS v(id, was)
    WHERE d.id = v.id AND d.claim_id = :claim
""")

# The worker still holds these claims: their leases start again from now. Rows locked right now
# (their outcome is being written) are skipped, so a renewal never waits for a write nor
# deadlocks with one.
_RENEW = text("""
    UPDATE push_delivery d SET lease_until = :lease_end, next_attempt_at = :lease_end
    FROM (SELECT id FROM push_delivery WHERE claim_id = ANY(CAST(:claims AS uuid[])) AND status = 'sending'
          FOR UPDATE SKIP LOCKED) held
    WHERE d.id = held.id
""")

# A dead token leaves its session at once, unless the app already reported a new one.
_DETACH_TOKENS = text("""
    UPDATE device_session s SET fcm_token = NULL
    FROM unnest(CAST(:session_ids AS uuid[]), CAST(:tokens AS text[])) AS v(session_id, token)
    WHERE s.id = v.session_id AND s.fcm_token = v.token
""")


@dataclass(slots=True)
class Claimed:
    id: uuid.UUID
    was: str
    session_id: uuid.UUID
    attempts: int
    created_at: datetime
    token: str | None
    skip: str | None
    push: OutgoingPush | None
    claim: uuid.UUID  # the claim that holds it: the same for a whole batch


async def fan_out(db: AsyncSession, now: datetime, limit: int) -> int:
    """Turn due notifications into per-session deliveries; one transaction, so a crash leaves
    either both or neither."""
    ids = list((await db.execute(_FAN_OUT_CLAIM, {"now": now, "limit": limit})).scalars())
    if not ids:
        return 0
    await db.execute(_FAN_OUT, {"ids": ids, "now": now})
    await db.execute(_MARK_FANNED_OUT, {"ids": ids, "now": now})
    return len(ids)


async def claim(db: AsyncSession, now: datetime, limit: int, lease_seconds: float) -> list[Claimed]:
    claim_id = uuid.uuid4()
    rows = (await db.execute(_CLAIM, {"now": now, "limit": limit, "claim": claim_id,
                                      "lease_end": now + timedelta(seconds=lease_seconds)})).all()
    claimed = []
    for row in rows:
        (delivery_id, was, message_id, session_id, attempts, created_at, token, app_id, platform, deactivated_at,
         os_enabled, types, kind, title, body, deep_link, data, premise_id, brand) = row
        skip = skip_reason(active=deactivated_at is None, os_enabled=os_enabled, reported=types, kind=kind)
        push = None
        if skip is None:
            push = OutgoingPush(delivery_id=delivery_id, message_id=message_id, token=token or "", app_id=app_id,
                                platform=platform, type=kind, title=title, body=body, deep_link=deep_link,
                                brand=brand, premise_id=premise_id, data=dict(data or {}))
        claimed.append(Claimed(delivery_id, was, session_id, attempts, created_at, token, skip, push, claim_id))
    return claimed


async def release(db: AsyncSession, batch: list[Claimed], now: datetime) -> int:
    """Give a claimed batch back; returns how many of its rows the claim still held."""
    if not batch:
        return 0
    result = await db.execute(_RELEASE, {"ids": [item.id for item in batch], "was": [item.was for item in batch],
                                         "now": now, "claim": batch[0].claim})
    return result.rowcount


async def renew(db: AsyncSession, claims: list[uuid.UUID], now: datetime, lease_seconds: float) -> int:
    """Start the leases of these claims again from now; returns how many rows they still hold."""
    if not claims:
        return 0
    result = await db.execute(_RENEW, {"claims": claims, "lease_end": now + timedelta(seconds=lease_seconds)})
    return result.rowcount


class Outcomes:
    """Collects per-delivery outcomes and writes them in two statements."""

    def __init__(self, claim: uuid.UUID | None = None) -> None:
        self.claim = claim
        self.rows: dict[str, list] = {k: [] for k in ("ids", "statuses", "errors", "fcm_ids", "tokens", "next_at",
                                                      "sent_at", "attempts")}
        self.detach: dict[str, list] = {"session_ids": [], "tokens": []}
        self.counts: dict[str, int] = {}

    def add(self, item: Claimed, status: str, *, error: str | None = None, fcm_id: str | None = None,
            next_at: datetime, sent_at: datetime | None = None, attempts: int | None = None) -> None:
        for key, value in (("ids", item.id), ("statuses", status), ("errors", error), ("fcm_ids", fcm_id),
                           ("tokens", item.token), ("next_at", next_at), ("sent_at", sent_at),
                           ("attempts", item.attempts if attempts is None else attempts)):
            self.rows[key].append(value)
        self.counts[status] = self.counts.get(status, 0) + 1

    async def write(self, db: AsyncSession) -> int:
        """Write the outcomes where the claim still holds the row; returns how many were written."""
        written = 0
        if self.rows["ids"]:
            written = (await db.execute(_WRITE, {**self.rows, "claim": self.claim})).rowcount
        if self.detach["session_ids"]:
            # A token FCM called dead is dead whoever holds the delivery now. Whose sessions they
            # were the statement does not tell: every screen is renewed.
            await db.execute(_DETACH_TOKENS, self.detach, execution_options=changes(EVERYONE, table="device_session"))
        return written


def decide(item: Claimed, result: SendResult, now: datetime, config: PushConfig, out: Outcomes,
           rng: random.Random) -> None:
    """Apply the retry policy to one answer."""
    if result.outcome in ("sent", "recorded"):
        out.add(item, result.outcome, fcm_id=result.fcm_message_id, next_at=now, sent_at=now)
    elif result.outcome == "drop_token":
        out.detach["session_ids"].append(item.session_id)
        out.detach["tokens"].append(item.token)
        out.add(item, "failed", error=result.error, next_at=now)
    elif result.outcome == "halt":
        # Not the message's fault: wait for the project to be fixed without spending attempts.
        out.add(item, "pending", error=result.error, next_at=now + timedelta(seconds=config.halt_seconds),
                attempts=item.attempts - 1)
    elif result.outcome == "retry":
        if rules.give_up(item.attempts, item.created_at, now, config.retry):
            out.add(item, "failed", error=f"gave up after {item.attempts} attempts: {result.error}", next_at=now)
            return
        delay = rules.backoff_seconds(item.attempts, config.retry, retry_after=result.retry_after, rng=rng)
        # An ambiguous failure stays `sending`, so the next claim counts it as a resend.
        out.add(item, "sending" if result.ambiguous else "pending", error=result.error,
                next_at=now + timedelta(seconds=delay))
    else:
        out.add(item, "failed", error=result.error, next_at=now)


class Deliverer:
    """One worker's sending side. Any number of them, in any number of processes, share the
    tables safely."""

    def __init__(self, rt: Runtime, transport: Transport, config: PushConfig, *, rng: random.Random | None = None,
                 pause: Callable[[float], Awaitable[object]] = asyncio.sleep):
        self.rt = rt
        self.transport = transport
        self.config = config
        self.rng = rng or random.Random()
        self.record_only = transport.name == "recorded"
        # The claims this worker holds (claimed and not yet written or given back): their leases
        # are renewed while a batch is with FCM.
        self.held: set[uuid.UUID] = set()
        # Waits between two renewals (tests hold it with an event instead of real time passing).
        self.pause = pause
        # The batch size while ramping up after an idle spell (None: full size). The first pushes
        # of a mailing then leave after a small chunk and batch, not after a whole one.
        self.ramp: int | None = None

    def ramp_up(self) -> None:
        """Start the next batches small (the worker was idle), doubling up to full size."""
        self.ramp = min(self.config.first_batch, self.config.batch_size)

    def _size(self) -> int:
        return self.ramp or self.config.batch_size

    async def fan_out_once(self) -> int:
        limit = self.config.fan_out_batch if self.ramp is None else min(self.ramp, self.config.fan_out_batch)
        async with self.rt.sessionmaker() as db:
            count = await fan_out(db, self.rt.clock.now(), limit)
            await commit(db)
            return count

    async def claim_batch(self) -> list[Claimed]:
        """Claim one batch (committed before anything is sent: the lease is what other workers see)."""
        async with self.rt.sessionmaker() as db:
            batch = await claim(db, self.rt.clock.now(), self._size(), self.config.lease_seconds)
            await commit(db)
        if batch:
            self.held.add(batch[0].claim)
        return batch

    async def renew_leases(self) -> int:
        """Renew the lease of every claim this worker holds; returns the rows still held."""
        claims = list(self.held)
        if not claims:
            return 0
        async with self.rt.sessionmaker() as db:
            count = await renew(db, claims, self.rt.clock.now(), self.config.lease_seconds)
            await commit(db)
        return count

    async def _renew_every_third_of_the_lease(self) -> None:
        while True:
            await self.pause(self.config.lease_seconds / 3)
            try:
                await self.renew_leases()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next renewal tries again; the lease is the fallback
                log.warning("push leases could not be renewed (%s)", type(exc).__name__)

    @contextlib.asynccontextmanager
    async def renewing(self) -> AsyncIterator[None]:
        """Keep the held claims' leases from running out until the block ends."""
        task = asyncio.create_task(self._renew_every_third_of_the_lease(), name="push lease renewal")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    def _sendable(self, item: Claimed) -> bool:
        """Recipients allowed it and there is a token (the recorder needs none)."""
        return item.push is not None and bool(item.token or self.record_only)

    async def send_batch(self, batch: list[Claimed]) -> list[SendResult]:
        to_send = [item.push for item in batch if self._sendable(item)]
        if not to_send:
            return []
        async with self.renewing():
            return await self.transport.send(to_send)

    async def write_outcomes(self, batch: list[Claimed], results: list[SendResult]) -> None:
        now = self.rt.clock.now()
        out = Outcomes(batch[0].claim if batch else None)
        answers = iter(results)
        for item in batch:
            if self._sendable(item):
                decide(item, next(answers), now, self.config, out, self.rng)
            else:
                out.add(item, "skipped", error=item.skip or "no_token", next_at=now)
        try:
            async with self.rt.sessionmaker() as db:
                written = await out.write(db)
                await commit(db)
        finally:
            # Written or not, this worker lets the claim go: unwritten rows return when the lease ends.
            if batch:
                self.held.discard(batch[0].claim)
        count_push_outcomes(out.counts)
        if written < len(batch):
            log.warning("%d of %d push outcomes were not written: their lease ran out and another worker "
                        "claimed them again", len(batch) - written, len(batch))
        log.debug("push batch: %s", out.counts)

    async def release_batch(self, batch: list[Claimed]) -> None:
        if batch:
            try:
                async with self.rt.sessionmaker() as db:
                    returned = await release(db, batch, self.rt.clock.now())
                    await commit(db)
            finally:
                self.held.discard(batch[0].claim)
            log.info("returned %d claimed deliveries to the queue", returned)

    async def fan_out(self) -> int:
        """Mailings into notifications, notifications into per-session deliveries."""
        from push.mailings import fan_out_mailing_chunk

        chunk = self.config.mailing_chunk * self._size() // self.config.batch_size
        return await fan_out_mailing_chunk(self.rt, self.config, max(1, chunk)) + await self.fan_out_once()

    async def prepare(self) -> list[Claimed]:
        """Everything before a send: the fan-outs, then claim a batch (the next one larger while
        ramping up)."""
        await self.fan_out()
        batch = await self.claim_batch()
        # A transport that can make its messages ahead (FCM) does so now, while the batch before
        # this one is with FCM.
        prepare = getattr(self.transport, "prepare", None)
        if prepare is not None and batch:
            prepare([item.push for item in batch if self._sendable(item)])
        if self.ramp is not None and batch:
            self.ramp = None if self.ramp * 2 >= self.config.batch_size else self.ramp * 2
        return batch

    async def deliver_once(self) -> int:
        """Claim one batch, send it, write the outcomes. Returns how many were claimed."""
        batch = await self.claim_batch()
        if batch:
            await self.write_outcomes(batch, await self.send_batch(batch))
        return len(batch)

    async def step(self) -> int:
        """One round of every kind of work; 0 when there was nothing to do."""
        return await self.fan_out() + await self.deliver_once()

    async def drain(self, max_rounds: int = 1000) -> int:
        """Work until nothing is due now (tests and the bench)."""
        total = 0
        for _ in range(max_rounds):
            done = await self.step()
            total += done
            if not done:
                break
        return total
