"""Pushes of the People rules: the added person's push (PEOPLE-ADD-07) and the rent reminders
(PEOPLE-ADD-06), exactly once per period under a controlled clock, with two workers too."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from core.models import Account, PushMessage
from push.config import PushConfig
from push.delivery import Deliverer
from push.transport import RecordingTransport
from push.worker import registered_jobs, run_job_once
from tests.bff.people.conftest import Estate, add, adult, new_phone
from tests.support import expect, login_resident

MSK_MORNING = 7  # 10:00 in Moscow


def at(year: int, month: int, day: int, hour: int = MSK_MORNING) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=timezone.utc)


def rent_job():
    return next(job for job in registered_jobs() if job.name == "people.rent_reminders")


async def _pushes(db, phone: str, type: str) -> list[PushMessage]:
    account_id = await db.scalar(select(Account.id).where(Account.phone == phone))
    return list((await db.scalars(select(PushMessage).where(PushMessage.account_id == account_id,
                                                            PushMessage.type == type)
                                  .order_by(PushMessage.created_at, PushMessage.dedup_key))).all())


async def test_people_add_07_the_added_person_gets_a_push_opening_the_people_screen(http, db, runtime, estate,
                                                                                     owner):
    """Rule: PEOPLE-ADD-07"""
    phone = new_phone()
    await login_resident(http, phone)                       # uses the app, logged in on a device
    added = await add(http, owner, adult("resident", estate.premise_id, phone=phone))
    offline = adult("resident", estate.premise_id)          # never logged in: nobody to push to
    await add(http, owner, offline)
    child = await add(http, owner, {"role": "resident", "premise_id": estate.premise_id, "birth_date": "2019-01-01",
                                    "child_name": "Ваня"})

    await Deliverer(runtime, RecordingTransport(), PushConfig(), rng=random.Random(7)).drain()
    deliveries = expect(await http.get("/crm/v1/push/deliveries", headers=estate.staff,
                                       params={"client_id": added["person_id"]}), 200)["items"]
    assert [(d["type"], d["deep_link"], d["status"]) for d in deliveries] == [
        ("people", f"app://people?premise_id={estate.premise_id}", "recorded")]
    assert await _pushes(db, offline["phone"], "people") == []
    assert expect(await http.get("/crm/v1/push/deliveries", headers=estate.staff,
                                 params={"client_id": child["person_id"]}), 200)["items"] == []


async def test_people_add_06_tenant_three_days_before_owner_on_the_day_once_per_period(http, db, runtime, clock,
                                                                                        estate, owner):
    """Rule: PEOPLE-ADD-06"""
    tenant_phone = new_phone()
    await login_resident(http, tenant_phone)
    await add(http, owner, adult("tenant", estate.premise_id, phone=tenant_phone, rent_day=15))
    job = rent_job()

    clock.set(at(2026, 12, 11))                             # four days before: nothing
    await run_job_once(runtime, job)
    assert await _pushes(db, tenant_phone, "rent") == []

    clock.set(at(2026, 12, 12, hour=5))                     # three days before, 08:00 in Moscow: not yet
    await run_job_once(runtime, job)
    assert await _pushes(db, tenant_phone, "rent") == []
    clock.set(at(2026, 12, 12))                             # three days before, morning: the tenant
    await run_job_once(runtime, job)
    await run_job_once(runtime, job)                        # the job runs again: nothing more
    clock.advance(hours=6)
    await run_job_once(runtime, job)
    tenant_pushes = await _pushes(db, tenant_phone, "rent")
    assert len(tenant_pushes) == 1 and tenant_pushes[0].dedup_key.endswith(":2026-12")
    assert "15.12.2026" in tenant_pushes[0].body
    assert await _pushes(db, owner.phone, "rent") == []

    clock.set(at(2026, 12, 15))                             # the day: the owner
    await run_job_once(runtime, job)
    await run_job_once(runtime, job)
    owner_pushes = await _pushes(db, owner.phone, "rent")
    assert len(owner_pushes) == 1 and owner_pushes[0].deep_link == f"app://people?premise_id={estate.premise_id}"
    assert len(await _pushes(db, tenant_phone, "rent")) == 1

    clock.set(at(2027, 1, 12))                              # the next period fires again
    await run_job_once(runtime, job)
    assert [p.dedup_key[-7:] for p in await _pushes(db, tenant_phone, "rent")] == ["2026-12", "2027-01"]


@pytest.mark.parametrize("rent_day, tenant_day, owner_day", [
    (31, (2027, 2, 25), (2027, 2, 28)),       # February: the 31st falls on the 28th
    (30, (2027, 2, 25), (2027, 2, 28)),
    (29, (2028, 2, 26), (2028, 2, 29)),       # leap year: the 29th exists
    (31, (2027, 4, 27), (2027, 4, 30)),       # a 30-day month
    (2, (2027, 1, 30), (2027, 2, 2)),         # three days before crosses the month
])
async def test_people_add_06_rent_days_29_to_31_fall_on_the_last_day_of_short_months(
        http, db, runtime, clock, estate, owner, rent_day, tenant_day, owner_day):
    """Rule: PEOPLE-ADD-06"""
    tenant_phone = new_phone()
    await login_resident(http, tenant_phone)
    await add(http, owner, adult("tenant", estate.premise_id, phone=tenant_phone, rent_day=rent_day))
    job = rent_job()
    clock.set(at(*tenant_day))
    await run_job_once(runtime, job)
    assert len(await _pushes(db, tenant_phone, "rent")) == 1
    assert await _pushes(db, owner.phone, "rent") == []
    clock.set(at(*owner_day))
    await run_job_once(runtime, job)
    assert len(await _pushes(db, owner.phone, "rent")) == 1
    assert len(await _pushes(db, tenant_phone, "rent")) == 1


@pytest.mark.committed
async def test_people_add_06_two_workers_at_once_send_each_reminder_once(http, db, runtime, clock):
    """Rule: PEOPLE-ADD-06 — two workers running the job at the same moment, on their own
    connections and transactions, still enqueue each reminder once."""
    estate = await Estate(http).setup()
    owner = await estate.person(estate.premise_id, "owner")
    tenants = []
    for _ in range(5):
        phone = new_phone()
        await login_resident(http, phone)
        await add(http, owner, adult("tenant", estate.premise_id, phone=phone, rent_day=20))
        tenants.append(phone)
    job = rent_job()
    clock.set(at(2026, 12, 17))
    await asyncio.gather(*(run_job_once(runtime, job) for _ in range(2)))
    await asyncio.gather(*(run_job_once(runtime, job) for _ in range(2)))
    for phone in tenants:
        assert len(await _pushes(db, phone, "rent")) == 1
    clock.set(at(2026, 12, 20))
    await asyncio.gather(*(run_job_once(runtime, job) for _ in range(3)))
    assert len(await _pushes(db, owner.phone, "rent")) == 5   # one per tenant link
