"""`Idempotency-Key` on the creating POSTs (web/idempotency.py): a retry returns the first answer and
creates nothing; the same key with another body is refused; a failed request records nothing."""

from __future__ import annotations

import asyncio
import pytest
from sqlalchemy import func, select

from core.infra.idempotency import purge_idempotency_records
from core.models import IdempotencyRecord, Order, RegistrationRequest
from tests.crm import factories as f
from tests.support import api_key_headers, bearer, create_partner, expect, login_resident, staff_headers


async def _world(http, db):
    partner = await create_partner(http)
    premise = await f.premise(db, partner)
    client = await f.client(db, partner)
    await f.link(db, premise, client)
    return partner, premise, client


def _order(premise, client, title="Протекает кран") -> dict:
    return {"kind": "requests", "premise_id": str(premise.id), "client_id": str(client.id), "title": title,
            "status": "waiting"}


async def _orders(db, partner) -> int:
    return await db.scalar(select(func.count()).select_from(Order).where(Order.partner_id == f.uid(partner)))


async def test_a_retried_crm_create_returns_the_first_answer_and_creates_nothing(http, db):
    """Rule: STAFF-04 — the same key and body again: the first answer (201, same id and number),
    marked replayed; one order. Another body under that key: 422. Another caller's same key: its
    own order."""
    partner, premise, client = await _world(http, db)
    key = await api_key_headers(http, partner)
    first = await http.post("/crm/v1/orders", headers={**key, "Idempotency-Key": "order-1"}, json=_order(premise, client))
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = await http.post("/crm/v1/orders", headers={**key, "Idempotency-Key": "order-1"}, json=_order(premise, client))
    assert (again.status_code, again.json(), again.headers["idempotent-replayed"]) == (201, first.json(), "true")
    assert await _orders(db, partner) == 1

    reused = await http.post("/crm/v1/orders", headers={**key, "Idempotency-Key": "order-1"},
                             json=_order(premise, client, "Другая заявка"))
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    staff = await staff_headers(http, partner)
    other = expect(await http.post("/crm/v1/orders", headers={**staff, "Idempotency-Key": "order-1"},
                                   json=_order(premise, client)), 201)
    assert other["id"] != first.json()["id"] and await _orders(db, partner) == 2
    without = expect(await http.post("/crm/v1/orders", headers=key, json=_order(premise, client)), 201)
    assert without["number"] == 3


async def test_a_failed_request_records_nothing_and_its_retry_runs(http, db):
    """Rule: STAFF-04 — a refused request (another partner's premise) keeps no answer under its
    key: the corrected retry with the same key creates the order."""
    partner, premise, client = await _world(http, db)
    _, other_premise, other_client = await _world(http, db)
    key = {**await api_key_headers(http, partner), "Idempotency-Key": "retry-after-refusal"}
    refused = await http.post("/crm/v1/orders", headers=key, json=_order(other_premise, other_client))
    assert refused.status_code == 400
    assert await db.scalar(select(func.count()).select_from(IdempotencyRecord)) == 0
    expect(await http.post("/crm/v1/orders", headers=key, json=_order(premise, client)), 201)
    assert await _orders(db, partner) == 1


async def test_a_residents_retried_premise_request_is_stored_once(http, db):
    """Rule: STAFF-05 — the app's premise request sent twice with one key: one request."""
    partner = await create_partner(http)
    obj = await f.estate_object(db, partner)
    auth = bearer((await login_resident(http, f.phone()))["access_token"])
    body = {"object_id": str(obj.id), "address": "ул. Ленина, 5", "number": "12", "role": "owner"}
    answers = [await http.post("/app/v1/premise-requests", headers={**auth, "Idempotency-Key": "k"}, json=body)
               for _ in range(2)]
    assert answers[0].status_code == answers[1].status_code == 201 and answers[0].json() == answers[1].json()
    assert await db.scalar(select(func.count()).select_from(RegistrationRequest)) == 1


@pytest.mark.parametrize("key", [b"", b"x" * 256, "ключ".encode(), b"a\tb"])
async def test_a_malformed_key_is_refused(http, db, key):
    partner, premise, client = await _world(http, db)
    answer = await http.post("/crm/v1/orders", headers={**await api_key_headers(http, partner), "Idempotency-Key": key},
                             json=_order(premise, client))
    assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await _orders(db, partner) == 0


@pytest.mark.committed
async def test_two_copies_sent_at_once_create_one_order(http, runtime):
    """Rule: STAFF-04 — two copies in flight together: the second waits for the first's commit
    and replays its answer."""
    async with runtime.sessionmaker() as db:
        partner, premise, client = await _world(http, db)
        await db.commit()
    key = {**await api_key_headers(http, partner), "Idempotency-Key": "together"}
    answers = await asyncio.gather(*(http.post("/crm/v1/orders", headers=key, json=_order(premise, client))
                                     for _ in range(2)))
    assert [a.status_code for a in answers] == [201, 201] and answers[0].json() == answers[1].json()
    async with runtime.sessionmaker() as db:
        assert await _orders(db, partner) == 1


async def test_records_are_forgotten_after_a_day(http, db, runtime, clock):
    partner, premise, client = await _world(http, db)
    key = {**await api_key_headers(http, partner), "Idempotency-Key": "old"}
    expect(await http.post("/crm/v1/orders", headers=key, json=_order(premise, client)), 201)
    clock.advance(hours=23)
    assert await purge_idempotency_records(runtime, db) == 0
    clock.advance(hours=2)
    assert await purge_idempotency_records(runtime, db) == 1
    expect(await http.post("/crm/v1/orders", headers=key, json=_order(premise, client)), 201)
    assert await _orders(db, partner) == 2
