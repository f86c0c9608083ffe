"""Migrations that move data, run over rows written under the schema before them."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from core.migrate import upgrade_async


async def test_0002_gives_every_existing_bill_its_personal_accounts_partner(base_settings):
    url = make_url(base_settings.database_url)
    name = f"{url.database}_migration"
    target = url.set(database=name).render_as_string(hide_password=False)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        await upgrade_async(target, "0001")
        engine = create_async_engine(target)
        async with engine.begin() as connection:
            for partner in ("a", "b"):
                await connection.execute(text(f"""
                    WITH p AS (INSERT INTO partner (name, kind) VALUES ('УК {partner}', 'management') RETURNING id),
                    o AS (INSERT INTO estate_object (partner_id, name, address)
                          SELECT id, 'ЖК', 'ул. Ленина, д. 1' FROM p RETURNING id, partner_id),
                    pr AS (INSERT INTO premise (partner_id, object_id, type, street, house, number)
                           SELECT partner_id, id, 'apartment', 'Ленина', '1', '7' FROM o RETURNING id, partner_id),
                    pa AS (INSERT INTO personal_account (partner_id, premise_id, number)
                           SELECT partner_id, id, 'LS-{partner}' FROM pr RETURNING id)
                    INSERT INTO bill (personal_account_id, period, amount_due)
                    SELECT id, '2026-10-01', 100 FROM pa"""))
        await upgrade_async(target, "head")
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT b.partner_id, pa.partner_id FROM bill b "
                "JOIN personal_account pa ON pa.id = b.personal_account_id"))).all()
            nullable = await connection.scalar(text(
                "SELECT is_nullable FROM information_schema.columns "
                "WHERE table_name = 'bill' AND column_name = 'partner_id'"))
        await engine.dispose()
        assert len(rows) == 2 and all(bill == account for bill, account in rows)
        assert len({bill for bill, _ in rows}) == 2
        assert nullable == "NO"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
