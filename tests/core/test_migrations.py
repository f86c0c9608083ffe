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


async def test_0003c_gives_every_existing_visit_the_app_of_its_accounts_session(base_settings):
    """Visits written before app_visit knew its app get the app of the account's session active
    then, so the push monitor (PUSH-07) keeps counting them for the partner whose app it was."""
    url = make_url(base_settings.database_url)
    name = f"{url.database}_migration_c"
    target = url.set(database=name).render_as_string(hide_password=False)
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        await upgrade_async(target, "0002")
        engine = create_async_engine(target)
        async with engine.begin() as connection:
            await connection.execute(text("""
                WITH a AS (INSERT INTO account (phone) VALUES ('+79160000001'), ('+79160000002') RETURNING id, phone),
                s AS (INSERT INTO device_session (account_id, app_id, platform, created_at, last_activity_at)
                      SELECT id, 'brand-a', 'android', '2026-11-01', '2026-11-02' FROM a WHERE phone = '+79160000001'
                      RETURNING account_id)
                INSERT INTO app_visit (account_id, day, app_version)
                SELECT id, '2026-11-02', '4.8.0' FROM a"""))
        await upgrade_async(target, "head")
        async with engine.connect() as connection:
            rows = (await connection.execute(text(
                "SELECT a.phone, v.app_id FROM app_visit v JOIN account a ON a.id = v.account_id ORDER BY 1"))).all()
        await engine.dispose()
        assert [tuple(r) for r in rows] == [("+79160000001", "brand-a"), ("+79160000002", "")]
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
