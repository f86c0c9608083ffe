"""STAFF-04 for device sessions, table-driven against the one SQL fragment every partner-side
read of sessions, deliveries, visits and settings events goes through (core/scope.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Account, Brand, Client, EstateObject, Partner, Premise, PremiseLink
from core.scope import partner_sees_session

PHONE = "+79165550101"


async def _partner(db, name: str, slug: str) -> tuple[Partner, Premise]:
    partner = Partner(name=name, kind="management")
    db.add(partner)
    await db.flush()
    db.add(Brand(partner_id=partner.id, slug=slug, name=slug, colors={}, icon_url="https://cdn.example.com/i.png"))
    obj = EstateObject(partner_id=partner.id, name="ЖК", address="ул. Ленина, 5")
    db.add(obj)
    await db.flush()
    premise = Premise(partner_id=partner.id, object_id=obj.id, type="apartment", street="Ленина", house="5",
                      number="1")
    db.add(premise)
    await db.flush()
    return partner, premise


async def _card(db, partner: Partner, premise: Premise | None) -> None:
    client = Client(partner_id=partner.id, phone=PHONE, last_name="Иванов", first_name="Иван")
    db.add(client)
    await db.flush()
    if premise is not None:
        db.add(PremiseLink(partner_id=partner.id, premise_id=premise.id, client_id=client.id, role="owner"))
        await db.flush()


@pytest.mark.parametrize("app_id, cards, sees", [
    ("scope-a", {}, True),  # its own white-label app: always its to see
    ("scope-b", {"a": "premise", "b": "premise"}, False),  # another partner's white-label app: never
    ("domiland", {"a": "premise"}, True),  # the unified app while the account has a premise of A
    ("domiland", {"a": "card"}, False),  # a card without a premise is not enough
    ("domiland", {"b": "premise"}, False),  # a premise of another partner is not A's
    ("domiland", {}, False),
    ("no-such-app", {"a": "premise"}, False),
])
async def test_staff_04_a_partner_sees_its_apps_sessions_and_the_unified_apps_of_its_residents(
        db, app_id, cards, sees):
    """Rule: STAFF-04"""
    a, a_premise = await _partner(db, "УК А", "scope-a")
    b, b_premise = await _partner(db, "УК Б", "scope-b")
    account = Account(phone=PHONE)
    db.add(account)
    await db.flush()
    for key, kind in cards.items():
        partner, premise = (a, a_premise) if key == "a" else (b, b_premise)
        await _card(db, partner, premise if kind == "premise" else None)
    seen = partner_sees_session(a.id, app_id=":app_id", account_id=":account_id").bindparams(
        app_id=app_id, account_id=account.id)
    assert await db.scalar(select(seen)) is sees
