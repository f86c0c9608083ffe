"""Every screen is assembled in a constant number of SQL round trips, whatever the account holds:
the statements per request are counted at two data sizes and must be equal."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from tests.bff.screens.world import app_login, client_in, expect, give_premise, make_partner, next_phone


class Counter:
    """Statements through SQLAlchemy (cursor executions) and straight through asyncpg on the
    test's one connection (the screens' raw reads, transaction control)."""

    def __init__(self) -> None:
        self.count = 0

    def sqlalchemy(self, *args) -> None:
        self.count += 1

    def asyncpg(self, record) -> None:
        self.count += 1


async def _world(http, clock, premises: int, orders: int) -> tuple[dict, str]:
    phone = next_phone()
    a = await make_partner(http, f"sc-{premises}-{orders}", products=["requests", "marketplace", "events",
                                                                      "showcase"], kind="both")
    ids = [await give_premise(http, a, phone, str(n)) for n in range(premises)]
    client = await client_in(http, a, phone)
    for n in range(orders):
        clock.advance(seconds=1)
        expect(await http.post("/crm/v1/orders", headers=a.staff, json={
            "kind": "requests", "premise_id": ids[0], "client_id": client, "title": f"Заявка {n}",
            "status": "waiting" if n % 2 else "done"}), 201)
    for premise in ids:
        account = expect(await http.post(f"/crm/v1/premises/{premise}/accounts", headers=a.staff,
                                         json={"number": f"LS-{premise[:8]}"}), 201)["id"]
        expect(await http.post("/crm/v1/bills", headers=a.staff, json={
            "personal_account_id": account, "period": "2026-10", "amount_due": "100.00"}), 201)
        expect(await http.post("/crm/v1/notifications", headers=a.staff, json={
            "client_id": client, "premise_id": premise, "type": "news", "title": "t", "body": "b"}), 201)
    return await app_login(http, phone), ids[0]


SCREENS = ["/app/v1/screens/profile", "/app/v1/screens/my-premises", "/app/v1/screens/my-orders",
           "/app/v1/screens/my-orders?sort=newest", "/app/v1/screens/purchases", "/app/v1/screens/header",
           "/app/v1/screens/my-data", "/app/v1/screens/premises/{premise}", "/app/v1/screens/people",
           "/app/v1/screens/people?premise_id={premise}"]


@pytest.mark.parametrize("path", SCREENS)
async def test_screens_take_a_constant_number_of_statements(http, runtime, db, clock, path):
    """Rule: APP-PROFILE-01, APP-PREM-01, APP-PREM-04, APP-PREM-06, APP-ORD-01, APP-PURCH-01, APP-DATA-01,
    PEOPLE-VIEW-01 (the performance requirement of issue 5)."""
    counter = Counter()
    connection = await db.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    small = await _world(http, clock, premises=1, orders=0)
    large = await _world(http, clock, premises=12, orders=60)
    counts = []
    for auth, premise in (small, large):
        url = path.format(premise=premise)
        expect(await http.get(url, headers=auth), 200)  # warm: the session check is cached after this
        event.listen(runtime.engine.sync_engine, "before_cursor_execute", counter.sqlalchemy)
        raw.add_query_logger(counter.asyncpg)
        counter.count = 0
        try:
            expect(await http.get(url, headers=auth), 200)
        finally:
            event.remove(runtime.engine.sync_engine, "before_cursor_execute", counter.sqlalchemy)
            raw.remove_query_logger(counter.asyncpg)
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
    # The screen's one statement; a test's session wraps it in a savepoint and its release (served,
    # it runs on the read pool alone: tests/bff/screens/test_read_pool.py).
    assert counts[0] == 3, counts
