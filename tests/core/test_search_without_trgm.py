"""Client and premise search on a PostgreSQL without pg_trgm (the embedded one has none): the
n-gram index of migration 0004 finds phone fragments anywhere in the number."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select, text
from sqlalchemy.dialects.postgresql import asyncpg

from core.clients.service import ClientFilter, create_client, list_clients, update_client
from core.infra.db import create_engine, session_factory
from core.enums import PERMISSIONS
from core.estate.objects import create_object
from core.estate.premises import create_premise
from core.estate.repository import PremiseFilter, list_premises, phone_contains
from core.infra.migrate import upgrade_async
from core.models import Client
from core.partners.service import PartnerPrincipal, create_partner
from tests.core.test_migrations import scratch_database

TODAY = date(2026, 12, 2)


async def _names(db, actor, q: str) -> list[str]:
    rows, _ = await list_clients(db, actor, ClientFilter(q=q), sort="name", cursor=None, limit=50)
    return [row.Client.last_name for row in rows]


async def _pages(db, actor, q: str, sort: str) -> list[str]:
    """Every page of one card, in order (the cursor through the name branches)."""
    names, cursor = [], None
    while True:
        rows, cursor = await list_clients(db, actor, ClientFilter(q=q), sort=sort, cursor=cursor, limit=1)
        names += [row.Client.last_name for row in rows]
        if cursor is None:
            return names


async def test_crm_cli_01_search_finds_phone_fragments_names_and_addresses_without_pg_trgm(base_settings):
    """Rule: CRM-CLI-01, CRM-PREM-01 — with pg_trgm dropped from the database, a phone is found by
    digits in any position and any format, a client by a name prefix, a premise by "street house
    number" (page by page in both name orders); the phone search reads the n-gram index, and a
    changed phone is found by its new digits only."""
    async with scratch_database(base_settings, "no_trgm") as target:
        await upgrade_async(target)
        engine = create_engine(target, pool_size=1)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("DROP EXTENSION IF EXISTS pg_trgm CASCADE"))
            async with session_factory(engine)() as db:
                assert await db.scalar(text("SELECT count(*) FROM pg_extension WHERE extname = 'pg_trgm'")) == 0
                actors = []
                for name in ("УК Один", "УК Два"):
                    partner = await create_partner(db, name=name, kind="management", products=[])
                    actors.append(PartnerPrincipal(partner.id, "staff", uuid.uuid4(), frozenset(PERMISSIONS)))
                actor, other = actors
                for last, first, phone in (("Иванова", "Анна", "+79167771234"), ("Петров", "Иван", "8 916 123-77-70"),
                                           ("Сидоров", "Ивар", "+79031112233")):
                    await create_client(db, actor, {"last_name": last, "first_name": first, "phone": phone}, today=TODAY)
                await create_client(db, other, {"last_name": "Чужой", "phone": "+79167771234"}, today=TODAY)

                assert await _names(db, actor, "8 (916) 777") == ["Иванова"]
                assert await _names(db, actor, "777") == ["Иванова", "Петров"]
                assert await _names(db, actor, "7712") == ["Иванова"]
                assert await _names(db, actor, "237770") == ["Петров"]
                assert await _names(db, actor, "+7 (903) 111-22-33") == ["Сидоров"]
                assert await _names(db, actor, "ива") == ["Иванова", "Петров", "Сидоров"]
                assert await _names(db, actor, "Петр") == ["Петров"]
                for sort, expected in (("name", ["Иванова", "Петров", "Сидоров"]),
                                       ("-name", ["Сидоров", "Петров", "Иванова"])):
                    assert await _pages(db, actor, "ива", sort) == expected

                sidorov = (await db.scalars(select(Client).where(Client.last_name == "Сидоров"))).one()
                await update_client(db, actor, sidorov.id, {"phone": "+79037770000"}, today=TODAY)
                assert await _names(db, actor, "777") == ["Иванова", "Петров", "Сидоров"]
                assert await _names(db, actor, "1112233") == []

                obj = await create_object(db, actor, {"name": "ЖК Солнечный", "address": "ул. Ленина, 5"})
                for street, house, number in (("Ленина", "5", "12"), ("Ленина", "5", "13"), ("Лермонтова", "5", "12")):
                    await create_premise(db, actor, {"object_id": obj.id, "type": "apartment", "street": street,
                                                     "house": house, "number": number})
                rows, _ = await list_premises(db, actor, PremiseFilter(q="Ленина 5 12"), sort="address", cursor=None,
                                              limit=50)
                assert [(r.Premise.street, r.Premise.number) for r in rows] == [("Ленина", "12")]

                # The condition a phone fragment adds, answered by an index on its own: the n-grams'.
                statement = select(Client.id).where(phone_contains("916777")).compile(
                    dialect=asyncpg.dialect(), compile_kwargs={"literal_binds": True})
                await db.execute(text("SET LOCAL enable_seqscan = off"))
                await db.execute(text("SET LOCAL enable_indexscan = off"))
                plan = "\n".join((await db.execute(text(f"EXPLAIN {statement}"))).scalars())
                assert "Bitmap Index Scan on ix_client_phone_grams" in plan and "trgm" not in plan, plan
        finally:
            await engine.dispose()
