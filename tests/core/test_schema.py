"""The database itself guards the domain: constraints, uniqueness per partner, cascades."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from core.infra.migrate import alembic_config, upgrade_async
from core.models import (Bill, Client, ClientExternalId, EstateObject, Meter, MeterReading, Partner,
                         PersonalAccount, Premise, PremiseLink)


async def _premise(db, **fields) -> tuple[Partner, Premise]:
    partner = Partner(name="УК", kind="management")
    db.add(partner)
    await db.flush()
    obj = EstateObject(partner_id=partner.id, name="ЖК Солнечный", address="ул. Ленина, 5")
    db.add(obj)
    await db.flush()
    premise = Premise(partner_id=partner.id, object_id=obj.id, type="apartment", street="Ленина", house="5",
                      number="12", **fields)
    db.add(premise)
    await db.flush()
    return partner, premise


async def _violates(db, make) -> bool:
    try:
        async with db.begin_nested():
            db.add(make())
            await db.flush()
    except IntegrityError:
        return True
    return False


async def test_migrations_are_idempotent(database, db):
    await upgrade_async(database)
    await upgrade_async(database)
    version = await db.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == ScriptDirectory.from_config(alembic_config(database)).get_current_head()


async def test_crm_prem_02_empty_floor_saves_as_zero(db):
    """Rule: CRM-PREM-02 — an empty floor is stored as 0."""
    _, premise = await _premise(db)
    assert await db.scalar(select(Premise.floor).where(Premise.id == premise.id)) == 0


@pytest.mark.parametrize("fields", [
    {"total_area": Decimal("-1")},
    {"total_area": Decimal("40"), "living_area": Decimal("41")},
    {"type": "castle"},
])
async def test_premise_checks(db, fields):
    partner, premise = await _premise(db)
    base = dict(partner_id=partner.id, object_id=premise.object_id, type="apartment", street="Ленина", house="5",
                number="13")
    assert await _violates(db, lambda: Premise(**{**base, **fields}))


async def test_phone_and_external_ids_are_unique_per_partner(db):
    partner, _ = await _premise(db)
    other, _ = await _premise(db)
    db.add(Client(partner_id=partner.id, phone="+79161234567", first_name="Анна"))
    await db.flush()
    assert await _violates(db, lambda: Client(partner_id=partner.id, phone="+79161234567"))
    assert not await _violates(db, lambda: Client(partner_id=other.id, phone="+79161234567"))
    client_id = await db.scalar(select(Client.id).where(Client.partner_id == partner.id))
    db.add(ClientExternalId(partner_id=partner.id, client_id=client_id, value="1C-1"))
    await db.flush()
    assert await _violates(db, lambda: ClientExternalId(partner_id=partner.id, client_id=client_id, value="1C-1"))


async def test_non_owner_link_needs_the_owner_it_depends_on(db):
    partner, premise = await _premise(db)
    client = Client(partner_id=partner.id, phone="+79161234567")
    db.add(client)
    await db.flush()
    assert await _violates(db, lambda: PremiseLink(partner_id=partner.id, premise_id=premise.id,
                                                   client_id=client.id, role="resident"))
    assert await _violates(db, lambda: PremiseLink(partner_id=partner.id, premise_id=premise.id, client_id=client.id,
                                                   role="tenant", depends_on_client_id=client.id))


async def test_els_format_is_checked(db):
    partner, premise = await _premise(db)
    assert await _violates(db, lambda: PersonalAccount(partner_id=partner.id, premise_id=premise.id, number="1",
                                                       els="12ab345678"))
    assert not await _violates(db, lambda: PersonalAccount(partner_id=partner.id, premise_id=premise.id,
                                                           number="2", els="12АБ345678"))


async def test_crm_prem_03_deleting_a_premise_cascades_to_accounts_bills_and_readings(db):
    """Rule: CRM-PREM-03 — deleting a premise deletes its personal accounts and their bills."""
    partner, premise = await _premise(db)
    account = PersonalAccount(partner_id=partner.id, premise_id=premise.id, number="001")
    meter = Meter(partner_id=partner.id, premise_id=premise.id, kind="cold_water")
    db.add_all([account, meter])
    await db.flush()
    db.add_all([
        Bill(partner_id=partner.id, personal_account_id=account.id, period=date(2026, 10, 1), amount_due=Decimal("1520.00")),
        MeterReading(meter_id=meter.id, personal_account_id=account.id, value=Decimal("12.5"),
                     taken_at=func.now()),
    ])
    await db.flush()
    await db.delete(premise)
    await db.flush()
    for model in (PersonalAccount, Bill, Meter, MeterReading):
        assert await db.scalar(select(func.count()).select_from(model)) == 0


async def test_deleting_a_personal_account_deletes_its_bills_and_readings(db):
    partner, premise = await _premise(db)
    account = PersonalAccount(partner_id=partner.id, premise_id=premise.id, number="001")
    meter = Meter(partner_id=partner.id, premise_id=premise.id, kind="power")
    db.add_all([account, meter])
    await db.flush()
    db.add_all([Bill(partner_id=partner.id, personal_account_id=account.id, period=date(2026, 10, 1), amount_due=Decimal("10")),
                MeterReading(meter_id=meter.id, personal_account_id=account.id, value=Decimal("1"),
                             taken_at=func.now())])
    await db.flush()
    await db.delete(account)
    await db.flush()
    assert await db.scalar(select(func.count()).select_from(Bill)) == 0
    assert await db.scalar(select(func.count()).select_from(MeterReading)) == 0
    assert await db.scalar(select(func.count()).select_from(Meter)) == 1


async def test_migrations_match_the_models(runtime):
    """The one Alembic history builds exactly the schema the models describe (besides the search
    indexes, which live only in the migration because they are expressions or need pg_trgm)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from core.models import Base

    migration_only = {"ix_premise_number_house", "ix_premise_street_prefix", "ix_client_last_name_prefix",
                      "ix_client_first_name_prefix", "ix_client_middle_name_prefix", "ix_client_phone_prefix",
                      "ix_client_phone_grams", "ix_client_name_sort", "ix_client_app_use_visit",
                      "ix_client_first_name_order", "ix_client_middle_name_order", "ix_estate_object_search_trgm"}

    def differences(connection):
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with runtime.engine.connect() as connection:
        diff = await connection.run_sync(differences)

    def relevant(entry) -> bool:
        kind = entry[0] if isinstance(entry, tuple) else entry[0][0]
        if kind == "remove_index" and entry[1].name in migration_only:
            return False
        return True

    assert [d for d in diff if relevant(d)] == []
