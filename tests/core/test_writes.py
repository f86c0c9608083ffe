"""The unit of work's announcements (core/changes.py, core/writes.py): a commit renews the
generations of exactly what its transaction announced, a rollback renews none, and under the tests
a commit whose transaction wrote a table no announcement covers fails."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.changes import EVERYONE, Changed, Scope, announce, changes, partner, pending, premise
from core.infra.db import commit
from core.models import Partner
from core.process import generations, sessions
from core.writes import UnannouncedWrite, unannounced
from tests.crm import factories as f


def test_a_record_names_its_generation():
    """The records' keys are the generations' keys of before the records (a deploy keeps what is
    cached checkable)."""
    assert EVERYONE == Changed(Scope.EVERYONE) and EVERYONE.key == "screens:generation"
    assert partner("p1").key == "screens:partner:p1" and premise("x").key == "screens:premise:x"
    assert {partner("p1"), partner("p1"), premise("p1")} == {Changed(Scope.PARTNER, "p1"), Changed(Scope.PREMISE, "p1")}


@pytest.mark.parametrize(("written", "deleted", "covered", "missing"), [
    ({"premise"}, set(), set(), {"premise"}),
    ({"premise"}, set(), {"premise"}, set()),
    ({"push_delivery", "audit_record"}, set(), set(), set()),                       # no screen reads them
    ({"premise", "premise_link", "meter"}, {"premise", "premise_link", "meter"}, {"premise"}, set()),  # a cascade
    ({"premise", "premise_link"}, {"premise_link"}, {"premise"}, {"premise_link"}),  # the premise was not deleted
    ({"estate_object", "premise", "meter"}, {"estate_object", "premise", "meter"}, {"estate_object"}, set()),
    ({"staff", "premise_link"}, {"staff"}, {"staff"}, set()),                       # a link's author, set to NULL
    ({"premise_link"}, {"client_order"}, {"client_order"}, {"premise_link"}),       # not reached from it
])
def test_every_written_table_needs_an_announcement(written, deleted, covered, missing):
    assert unannounced(written, deleted, covered) == missing


async def test_a_text_write_nobody_announced_fails_its_commit(db):
    """A text statement tells the session neither its table nor what it changed: unannounced, the
    commit refuses it; announced, it commits and publishes its records."""
    owner = Partner(name="УК", kind="management")
    db.add(owner)
    await db.flush()
    room_id, owner_id = (await f.premise(db, owner.id)).id, owner.id
    await commit(db)
    update = text("UPDATE premise SET floor = 3 WHERE id = :id")

    with pytest.raises(UnannouncedWrite, match="wrote premise without announcing"):
        await db.execute(update, {"id": room_id})
    await db.rollback()
    with pytest.raises(UnannouncedWrite, match="wrote premise without announcing"):
        await db.execute(update, {"id": room_id}, execution_options=changes(premise(room_id), table="meter"))
    await db.rollback()

    await db.execute(update, {"id": room_id}, execution_options=changes(premise(room_id), table="premise"))
    assert pending(db) == {premise(room_id)}
    await commit(db)

    # Its table named, what it changed may be told beside it (say, from what it returned).
    await db.execute(update, {"id": room_id}, execution_options=changes(table="premise"))
    announce(db, premise(room_id))
    assert pending(db) == {premise(room_id)}
    await commit(db)

    await db.execute(text("UPDATE push_delivery SET attempts = attempts WHERE false"))
    await db.execute(text("INSERT INTO audit_record (id, partner_id, actor_type, action) "
                          "VALUES (gen_random_uuid(), :id, 'system', 'test')"), {"id": owner_id})
    await commit(db)  # a table no screen reads needs no announcement


@pytest.mark.committed
async def test_a_commit_renews_what_it_announced_and_a_rollback_nothing(runtime):
    """Rule: APP-PREM-01 — the generations renewed after a commit are those of its records alone."""
    made = sessions(runtime.engine, checked=True, clock=runtime.clock, generations=generations(runtime.redis))
    async with made() as db:
        owner = Partner(name="УК", kind="management")
        db.add(owner)
        await commit(db)
    key = partner(owner.id).key
    assert await runtime.redis.keys("screens:*") == [key]
    first = await runtime.redis.get(key)

    async with made() as db:
        await db.execute(text("UPDATE partner SET name = 'УК 2' WHERE id = :id"), {"id": owner.id},
                         execution_options=changes(partner(owner.id), table="partner"))
        await db.rollback()
    assert await runtime.redis.get(key) == first

    async with made() as db:
        await db.execute(text("UPDATE partner SET name = 'УК 3' WHERE id = :id"), {"id": owner.id},
                         execution_options=changes(partner(owner.id), table="partner"))
        await commit(db)
    assert await runtime.redis.keys("screens:*") == [key]
    assert await runtime.redis.get(key) != first


@pytest.mark.committed
async def test_a_write_around_the_sessions_statements_fails_the_commit(runtime):
    """A transaction on a connection of its own is counted from its start to its commit: a write
    the session never saw (straight on its connection) fails the commit, and leaves nothing."""
    async with runtime.sessionmaker() as db:
        owner = Partner(name="УК", kind="management")
        db.add(owner)
        await commit(db)
        owner_id = owner.id
        connection = await db.connection()
        await connection.exec_driver_sql(f"UPDATE partner SET name = 'УК 2' WHERE id = '{owner_id}'")
        with pytest.raises(UnannouncedWrite, match="this transaction wrote partner"):
            await commit(db)
        await db.rollback()
    async with runtime.sessionmaker() as db:
        assert (await db.get(Partner, owner_id)).name == "УК"
