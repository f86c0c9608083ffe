"""Which cached screens a write renews (core/writes.py): each kind of row written through the ORM,
and the changes (core/changes.py) its flush announces for the commit. The HTTP side (what
residents then see) is in tests/bff/screens/test_screen_cache.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, update

from core import changes as c
from core.changes import EVERYONE, Changed, pending, scoped
from core.models import Account, AuditRecord, Bill, Client, Meter, MeterReading, Notification, Order, Partner
from tests.crm import factories as f

GLOBAL = {EVERYONE}


@pytest.fixture
async def world(db):
    partner = Partner(name="УК", kind="management")
    db.add(partner)
    await db.flush()
    premise = await f.premise(db, partner.id)
    client = await f.client(db, partner.id)
    account = Account(phone=client.phone)
    db.add(account)
    await db.flush()
    # Changes are announced for a commit that never comes: the test's transaction is rolled back.
    pending(db)
    return partner, premise, client, account


async def _written(db, *rows) -> set[Changed]:
    db.add_all(rows)
    await db.flush()
    return pending(db)


def _order(partner, premise, client, kind="requests", status="waiting", number=1) -> Order:
    return Order(partner_id=partner.id, kind=kind, number=number, title="Заявка", status=status,
                 premise_id=premise.id, client_id=client.id)


async def test_requests_renew_their_client_events_every_resident_of_the_partner(db, world):
    partner, premise, client, _ = world
    order = _order(partner, premise, client)
    assert await _written(db, order) == {c.client(client.id)}
    order.status = "in_progress"
    assert await _written(db, order) == {c.client(client.id)}
    event = _order(partner, premise, client, kind="events", status="planned", number=2)
    assert await _written(db, event) == {c.client(client.id), c.partner(partner.id)}


async def test_cards_renew_their_partner_unless_who_they_belong_to_changes(db, world):
    partner, _, client, _ = world
    client.first_name = "Пётр"
    assert await _written(db, client) == {c.partner(partner.id)}
    client.phone = f.phone()  # now another account's card: whose screens read the partner changes
    assert await _written(db, client) == GLOBAL
    assert await _written(db, Client(partner_id=partner.id, phone=f.phone(), last_name="Новиков")) == GLOBAL


async def test_account_rows_bills_and_rows_no_screen_reads(db, world):
    partner, premise, _, account = world
    notice = Notification(account_id=account.id, partner_id=partner.id, type="news", title="Вода", body="Завтра")
    assert await _written(db, notice) == {c.account(account.id)}   # one account's inbox
    account.first_name = "Анна"                                         # co-residents see it
    assert await _written(db, account) == GLOBAL
    bills = await f.personal_account(db, premise)
    pending(db)
    bill = Bill(partner_id=partner.id, personal_account_id=bills.id, period=date(2026, 10, 1), amount_due=Decimal(1))
    assert await _written(db, bill) == {c.premise(premise.id)}     # the feed holds the account
    db.expunge(bills)
    bill.amount_due = Decimal(2)
    assert await _written(db, bill) == {c.partner(partner.id)}     # without it: the partner
    meter = Meter(partner_id=partner.id, premise_id=premise.id, kind="power")
    await _written(db, meter)
    reading = MeterReading(meter_id=meter.id, value=Decimal(1), taken_at=func.now())
    assert await _written(db, reading) == GLOBAL                        # no partner on the row
    assert await _written(db, AuditRecord(partner_id=partner.id, actor_type="system", action="test")) == set()


async def test_statements_renew_globally_unless_they_declare_their_scope(db, world):
    _, _, _, account = world
    await db.execute(update(Account).where(Account.id == account.id).values(email="a@example.com"))
    assert pending(db) == GLOBAL
    await db.execute(update(Notification).where(Notification.account_id == account.id).values(read_at=func.now()),
                     execution_options=scoped(account=account.id))
    assert pending(db) == {c.account(account.id)}


async def test_a_premise_and_its_links_renew_its_residents_unless_who_reaches_it_changes(db, world):
    partner, premise, client, _ = world
    premise.floor = 3
    assert await _written(db, premise) == {c.premise(premise.id)}
    link = await f.link(db, premise, client)                                 # made: the partner
    assert pending(db) == {c.partner(partner.id)}
    link.staff_comment = "Ключи у консьержа"
    assert await _written(db, link) == {c.premise(premise.id)}          # kept: its premise
    await db.delete(link)
    assert await _written(db) == {c.partner(partner.id)}                # removed: the partner
    await db.delete(premise)
    assert await _written(db) == {c.partner(partner.id)}
