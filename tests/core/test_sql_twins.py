"""Rules written once in Python and once in SQL give the same answer on every case, evaluated by
PostgreSQL itself: the address and the brand of a premise (core/estate/rules.py) and who gets a
push (core/notifications/rules.py)."""

from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select, text

from core.estate.rules import (
    address_sql,
    address_text,
    premise_brand,
    premise_brand_sql,
)
from core.models import Brand, EstateObject, Partner, Premise
from core.notifications.rules import skip_reason, skip_reason_sql
from core.estate.repository import premise_brand as premise_brand_expression

ADDRESSES = [
    dict(type="apartment", street="Ленина", house="5", building=None, number="12"),
    dict(type="apartments", street="Тверская", house="1А", building="2", number="301"),
    dict(type="room", street="Мира", house="7", building="", number="4"),
    dict(type="parking_space", street="Мира", house="7", building="1", number="П-15"),
    dict(type="storage", street="Садовая-Кудринская", house="3/5", building=None, number="К-1"),
    dict(type="house", street="O'Brien, 'quoted'", house="1", building=None, number="—"),
    dict(type="non_residential", street="Ленина", house="5", building="стр. 3", number="1"),
]


@pytest.mark.parametrize("premise", ADDRESSES, ids=lambda p: f"{p['type']}-{p['building']!r}")
async def test_crm_prem_01_app_prem_01_address_sql_and_python_agree(db, premise):
    """Rule: CRM-PREM-01, APP-PREM-01 — one address format, in SQL as in Python."""
    sql = (f"SELECT {address_sql('p')} FROM (SELECT CAST(:type AS text) AS type, CAST(:street AS text) AS street, "
           "CAST(:house AS text) AS house, CAST(:building AS text) AS building, CAST(:number AS text) AS number) p")
    assert (await db.scalar(text(sql), premise)) == address_text(**premise)


@pytest.mark.parametrize("object_brand, partner_brand", [(True, True), (True, False), (False, True), (False, False)])
async def test_app_prem_02_brand_of_a_premise_agrees_in_sql_python_and_the_orm(db, object_brand, partner_brand):
    """Rule: APP-PREM-02 — a premise's brand is its object's, else its partner's default, else none."""
    partner = Partner(name="УК Бренды", kind="management")
    db.add(partner)
    await db.flush()
    own = Brand(partner_id=partner.id, slug=f"obj-{uuid.uuid4().hex[:8]}", name="Объект", colors={},
                icon_url="https://cdn.example.com/i.png")
    default = Brand(partner_id=partner.id, slug=f"def-{uuid.uuid4().hex[:8]}", name="УК", colors={},
                    icon_url="https://cdn.example.com/i.png")
    db.add_all([own, default])
    await db.flush()
    partner.default_brand_id = default.id if partner_brand else None
    obj = EstateObject(partner_id=partner.id, name="ЖК", address="ул. Ленина, 5",
                       brand_id=own.id if object_brand else None)
    db.add(obj)
    await db.flush()
    premise = Premise(partner_id=partner.id, object_id=obj.id, type="apartment", street="Ленина", house="5", number="1")
    db.add(premise)
    await db.flush()

    expected = own.id if object_brand else (default.id if partner_brand else None)
    assert premise_brand(obj.brand_id, partner.default_brand_id) == expected
    in_sql = await db.scalar(text(
        f"SELECT {premise_brand_sql('o', 'pa')} FROM premise p JOIN estate_object o ON o.id = p.object_id "
        "JOIN partner pa ON pa.id = p.partner_id WHERE p.id = :id"), {"id": premise.id})
    assert in_sql == expected
    in_orm = await db.scalar(select(premise_brand_expression()).select_from(Premise)
                             .join(EstateObject, EstateObject.id == Premise.object_id)
                             .join(Partner, Partner.id == Premise.partner_id).where(Premise.id == premise.id))
    assert in_orm == expected


REPORTS = [None, {}, {"bills": True}, {"bills": False}, {"news": False}, {"bills": None}]


@pytest.mark.parametrize("active", [True, False])
@pytest.mark.parametrize("os_enabled", [True, False, None])
@pytest.mark.parametrize("reported", REPORTS, ids=repr)
async def test_push_04_skip_reason_sql_and_python_agree(db, active, os_enabled, reported):
    """Rule: PUSH-04 — who gets a push of a type, in the fan-out's SQL as in Python."""
    sql = (f"SELECT {skip_reason_sql('s', 'CAST(:kind AS text)')} FROM (SELECT "
           "CASE WHEN :active THEN NULL ELSE now() END AS deactivated_at, "
           "CAST(:os AS boolean) AS os_notifications_enabled, CAST(:types AS jsonb) AS notification_types) s")
    in_sql = await db.scalar(text(sql), {"kind": "bills", "active": active, "os": os_enabled,
                                         "types": None if reported is None else json.dumps(reported)})
    assert in_sql == skip_reason(active=active, os_enabled=os_enabled, reported=reported, kind="bills")
