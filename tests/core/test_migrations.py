"""Migrations that move data, run over rows written under the schema before them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from core.infra.migrate import upgrade_async


@contextlib.asynccontextmanager
async def scratch_database(base_settings, suffix: str) -> AsyncIterator[str]:
    """An empty database of this test worker's server (its URL), dropped afterwards."""
    url = make_url(base_settings.database_url)
    name = f"{url.database}_{suffix}"
    admin = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


async def test_0002_gives_every_existing_bill_its_personal_accounts_partner(base_settings):
    async with scratch_database(base_settings, "migration") as target:
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


async def test_0003a_an_unconfirmed_owner_stops_depending_on_anybody(base_settings):
    """Rule: CRM-LINK-01 — links written before 0003a: an unconfirmed owner's link no longer names
    an owner it depends on; a resident's still does."""
    async with scratch_database(base_settings, "migration_a") as target:
        await upgrade_async(target, "0002")
        engine = create_async_engine(target)
        async with engine.begin() as connection:
            await connection.execute(text("""
                WITH p AS (INSERT INTO partner (name, kind) VALUES ('УК', 'management') RETURNING id),
                o AS (INSERT INTO estate_object (partner_id, name, address)
                      SELECT id, 'ЖК', 'ул. Ленина, д. 1' FROM p RETURNING id, partner_id),
                pr AS (INSERT INTO premise (partner_id, object_id, type, street, house, number)
                       SELECT partner_id, id, 'apartment', 'Ленина', '1', '7' FROM o RETURNING id, partner_id),
                c AS (INSERT INTO client (partner_id, phone, last_name, first_name)
                      SELECT partner_id, phone, 'Иванов', 'Иван' FROM pr,
                      (VALUES ('+79160000001'), ('+79160000002'), ('+79160000003')) AS v(phone)
                      RETURNING id, partner_id, phone),
                owner AS (INSERT INTO premise_link (partner_id, premise_id, client_id, role)
                          SELECT c.partner_id, pr.id, c.id, 'owner' FROM c, pr WHERE c.phone = '+79160000001'
                          RETURNING client_id, premise_id, partner_id)
                INSERT INTO premise_link (partner_id, premise_id, client_id, role, depends_on_client_id)
                SELECT c.partner_id, owner.premise_id, c.id,
                       CASE c.phone WHEN '+79160000002' THEN 'unconfirmed_owner' ELSE 'resident' END, owner.client_id
                FROM c, owner WHERE c.phone <> '+79160000001'"""))
        await upgrade_async(target, "head")
        async with engine.connect() as connection:
            rows = dict((await connection.execute(text(
                "SELECT role, depends_on_client_id IS NOT NULL FROM premise_link"))).all())
        await engine.dispose()
        assert rows == {"owner": False, "unconfirmed_owner": False, "resident": True}


async def test_0003c_gives_every_existing_visit_the_app_of_its_accounts_session(base_settings):
    """Visits written before app_visit knew its app get the app of the account's session active
    then, so the push monitor (PUSH-07) keeps counting them for the partner whose app it was."""
    async with scratch_database(base_settings, "migration_c") as target:
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


async def test_0003g_drops_requests_no_partner_sees_and_first_reports_that_are_no_opt_outs(base_settings):
    """Rule: STAFF-05, PUSH-07 — rows written under the old rules are corrected."""
    async with scratch_database(base_settings, "migration_g") as target:
        await upgrade_async(target, "0002")
        engine = create_async_engine(target)
        async with engine.begin() as connection:
            await connection.execute(text("""
                WITH p AS (INSERT INTO partner (name, kind) VALUES ('УК', 'management') RETURNING id)
                INSERT INTO registration_request (partner_id, kind, phone, address, number)
                SELECT id, 'premise_request', '+79160000001', 'ул. Ленина, 1', '1' FROM p
                UNION ALL SELECT NULL, 'premise_request', '+79160000002', 'ул. Ленина, 1', '2'"""))
            await connection.execute(text("""
                WITH a AS (INSERT INTO account (phone) VALUES ('+79160000003') RETURNING id),
                s AS (INSERT INTO device_session (account_id, app_id, platform)
                      SELECT id, 'domiland', 'android' FROM a RETURNING id, account_id),
                t AS (INSERT INTO device_session (account_id, app_id, platform)
                      SELECT id, 'domiland', 'ios' FROM a RETURNING id, account_id)
                INSERT INTO notification_settings_event (session_id, account_id, app_version, os_notifications_enabled,
                                                         push_enabled, opt_out, created_at)
                SELECT id, account_id, '4.8.0', false, false, true, '2026-11-24T10:00:00Z'::timestamptz FROM s
                UNION ALL SELECT id, account_id, '4.8.0', true, true, false, '2026-11-24T10:00:00Z'::timestamptz FROM t
                UNION ALL SELECT id, account_id, '4.8.0', false, false, true, '2026-11-24T11:00:00Z'::timestamptz FROM t"""))
        await upgrade_async(target, "head")
        async with engine.connect() as connection:
            numbers = (await connection.execute(text("SELECT number FROM registration_request"))).scalars().all()
            opt_outs = (await connection.execute(text(
                "SELECT e.opt_out FROM notification_settings_event e JOIN device_session s ON s.id = e.session_id "
                "ORDER BY s.platform, e.created_at"))).scalars().all()
        await engine.dispose()
        assert numbers == ["1"]
        assert opt_outs == [False, False, True]  # android: first report off; ios: on, then turned off
