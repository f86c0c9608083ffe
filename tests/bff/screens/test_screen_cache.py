"""The screen cache (bff/cache.py, renewed by core/changes.py's records) as served: answers stored in Redis under
the generations of their scopes (global, account, partners), which every committed write to what
screens show renews for the scopes it wrote. Each test runs on committed data with the runtime
wired as `open_runtime` wires it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from bff.cache import GENERATION_KEY
from core.changes import EVERYONE, changes
from core.infra.db import commit
from core.infra.reads import ReadPool
from core.infra.redis_scripts import is_cluster
from core.process import generations, sessions
from tests.bff.screens.test_my_premises import _bill
from tests.bff.screens.world import app_login, client_in, expect, give_premise, make_partner, next_phone
from tests.crm.estate import link


class CountingPool(ReadPool):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.queries = 0

    async def fetchval(self, sql, *args):
        self.queries += 1
        return await super().fetchval(sql, *args)


@pytest.fixture
async def served(runtime, base_settings):
    plain = runtime.sessionmaker
    reads = CountingPool(base_settings.database_url, 2)
    runtime.sessionmaker = sessions(runtime.engine, checked=True, reads=reads, clock=runtime.clock,
                                    generations=generations(runtime.redis))
    try:
        yield reads
    finally:
        runtime.sessionmaker = plain
        await reads.close()


@pytest.fixture
def redis_calls(runtime, monkeypatch) -> list[tuple[str, list[str]]]:
    """The Redis commands the app sends from now on: (name, a script's keys); a pipeline is one."""
    calls: list[tuple[str, list[str]]] = []
    send, pipeline = runtime.redis.execute_command, runtime.redis.pipeline

    async def recording(*args, **kwargs):
        name = str(args[0]).upper()
        calls.append((name, [str(key) for key in args[3:3 + int(args[2])]] if name in ("EVAL", "EVALSHA") else []))
        return await send(*args, **kwargs)

    def piped(*args, **kwargs):
        calls.append(("PIPELINE", []))
        return pipeline(*args, **kwargs)

    monkeypatch.setattr(runtime.redis, "execute_command", recording)
    monkeypatch.setattr(runtime.redis, "pipeline", piped)
    return calls


async def _resident(http, phone: str | None = None):
    phone = phone or next_phone()
    partner = await make_partner(http, f"cache-{phone[-4:]}")
    premise = await give_premise(http, partner, phone, "7")
    return partner, premise, await client_in(http, partner, phone), await app_login(http, phone)


async def _screen(http, auth, path="/app/v1/screens/my-premises") -> dict:
    return expect(await http.get(path, headers=auth), 200)


async def _generations(runtime) -> dict[str, str]:
    keys = sorted(await runtime.redis.keys("screens:*"))
    return dict(zip(keys, await runtime.redis.mget(keys)))


async def _served_from_cache(http, served, auth, path="/app/v1/screens/my-premises") -> bool:
    queries = served.queries
    await _screen(http, auth, path)
    return served.queries == queries


@pytest.mark.committed
async def test_repeated_screen_reads_are_served_from_the_cache(http, runtime, served):
    """Rule: APP-PREM-01, APP-PROFILE-01 — the same screen again: no query, the same view model."""
    _, _, _, auth = await _resident(http)
    for path in ("/app/v1/screens/my-premises", "/app/v1/screens/profile", "/app/v1/screens/my-orders?sort=newest"):
        first = await _screen(http, auth, path)
        queries = served.queries
        assert await _screen(http, auth, path) == await _screen(http, auth, path) == first
        assert served.queries == queries
        cached = runtime.sessionmaker
        runtime.sessionmaker = sessions(runtime.engine, checked=True, reads=served, clock=runtime.clock)  # cache off
        assert await _screen(http, auth, path) == first
        runtime.sessionmaker = cached


@pytest.mark.committed
async def test_every_kind_of_write_renews_the_screens(http, runtime, served):
    """Rule: APP-PREM-01, APP-PREM-05, APP-PROFILE-01 — CRM writes (ORM), a resident's writes,
    Core and (announced) text statements through a session: each shows on the next read, none is
    served stale."""
    partner, premise, client, auth = await _resident(http)
    before = (await _screen(http, auth))["items"][0]
    assert (before["bills_due"], before["unread_notifications"]) == ("0.00", 0)

    object_id = partner.objects["ЖК Солнечный"]
    expect(await http.patch(f"/crm/v1/objects/{object_id}", headers=partner.staff,           # CRM, ORM flush
                            json={"name": "ЖК Рассветный"}), 200)
    assert (await _screen(http, auth))["items"][0]["object_name"] == "ЖК Рассветный"

    await _bill(http, partner, premise, "120.00", number="LS-C1")                       # CRM feed upsert
    assert (await _screen(http, auth))["items"][0]["bills_due"] == "120.00"

    expect(await http.post("/crm/v1/notifications", headers=partner.staff, json={        # CRM feed
        "client_id": client, "premise_id": premise, "type": "news", "title": "Вода", "body": "Завтра"}), 201)
    assert (await _screen(http, auth))["items"][0]["unread_notifications"] == 1
    assert expect(await http.get("/app/v1/screens/profile", headers=auth), 200)["unread_notifications"] == 1

    expect(await http.post("/app/v1/notifications/read-all", headers=auth), 200)        # the resident
    assert (await _screen(http, auth))["items"][0]["unread_notifications"] == 0

    async with runtime.sessionmaker() as db:                                              # a text statement
        await db.execute(text("UPDATE estate_object SET name = 'ЖК Переименованный' WHERE id = "
                              "(SELECT object_id FROM premise WHERE id = :id)"), {"id": premise},
                         execution_options=changes(EVERYONE, table="estate_object"))
        await commit(db)
    assert (await _screen(http, auth))["items"][0]["object_name"] == "ЖК Переименованный"

    expect(await http.delete(f"/crm/v1/premises/{premise}/clients/{client}", headers=partner.staff), 204)
    assert (await _screen(http, auth))["items"] == []                                     # access lost


@pytest.mark.committed
async def test_writes_screens_do_not_show_and_rollbacks_keep_the_generation(http, runtime, served):
    """Rule: APP-PREM-01 — the activity stamps of each request, the push outbox's bookkeeping and a
    rolled-back write leave cached screens valid."""
    _, premise, _, auth = await _resident(http)
    await _screen(http, auth)
    await _screen(http, auth)  # cached
    generations = await _generations(runtime)
    assert GENERATION_KEY in generations and len(generations) >= 3  # global, account, partner
    queries = served.queries
    async with runtime.sessionmaker() as db:
        await db.execute(text("UPDATE push_delivery SET attempts = attempts WHERE false"))
        await commit(db)
    async with runtime.sessionmaker() as db:
        await db.execute(text("UPDATE premise SET number = '99' WHERE id = :id"), {"id": premise},
                         execution_options=changes(EVERYONE, table="premise"))
        await db.rollback()
    await runtime.redis.delete(*await runtime.redis.keys("touch:*"))
    await _screen(http, auth)  # this one stamps the session's activity (and reads in that transaction)
    assert await _generations(runtime) == generations
    await _screen(http, auth)
    assert served.queries == queries  # still the cached read


@pytest.mark.committed
async def test_a_partners_writes_renew_only_the_screens_that_read_that_partner(http, served):
    """Rule: APP-PREM-01 — a CRM write of one partner renews its residents' screens and leaves the
    cached screens of another partner's residents valid."""
    partner_a, premise_a, _, auth_a = await _resident(http)
    _, _, _, auth_b = await _resident(http)
    for auth in (auth_a, auth_b):
        await _screen(http, auth)
        assert await _served_from_cache(http, served, auth)
    expect(await http.patch(f"/crm/v1/objects/{partner_a.objects['ЖК Солнечный']}", headers=partner_a.staff,
                            json={"name": "ЖК Новый"}), 200)
    assert await _served_from_cache(http, served, auth_b)
    assert not await _served_from_cache(http, served, auth_a)
    assert (await _screen(http, auth_a))["items"][0]["object_name"] == "ЖК Новый"

    await _bill(http, partner_a, premise_a, "75.00", number="LS-A1")  # a row whose partner is its parent's
    assert await _served_from_cache(http, served, auth_b)
    assert (await _screen(http, auth_a))["items"][0]["bills_due"] == "75.00"


@pytest.mark.committed
async def test_a_card_in_another_partner_brings_that_partner_into_the_screens(http, served):
    """Rule: APP-PREM-01 — a new client card of the account's phone in a partner its screens did
    not read renews them; from then on that partner's writes renew them too."""
    phone = next_phone()
    _, _, _, auth = await _resident(http, phone)
    other = await make_partner(http, f"cache-other-{phone[-4:]}")
    await _screen(http, auth)
    assert await _served_from_cache(http, served, auth)
    await client_in(http, other, phone)                        # the card alone: nothing shown changes
    assert not await _served_from_cache(http, served, auth)
    assert await _served_from_cache(http, served, auth)
    premise = await give_premise(http, other, phone, "15")     # that partner's write: renews the screen
    assert [item["id"] for item in (await _screen(http, auth))["items"]][-1] == premise


@pytest.mark.committed
async def test_a_co_residents_own_data_renews_the_people_screen(http, served, clock):
    """Rule: APP-DATA-01, APP-PREM-01 — another account's name, shown on the People screen of the
    accounts it shares a premise with, is fresh there once that account edits it."""
    phone = next_phone()
    partner, premise, _, auth = await _resident(http, phone)
    neighbour_phone = next_phone()
    await link(http, partner.staff, premise, await client_in(http, partner, neighbour_phone, "Петрова"), "owner")
    # The neighbour opens the app after being linked (PEOPLE-CARD-01: only then does their app
    # name show): the link is stamped by the database's clock, the visit by the injected one.
    saved = clock.now()
    clock.set(datetime.now(timezone.utc) + timedelta(minutes=1))
    try:
        auth = await app_login(http, phone)
        neighbour = await app_login(http, neighbour_phone)
        path = f"/app/v1/screens/people?premise_id={premise}"
        await _screen(http, auth, path)
        assert await _served_from_cache(http, served, auth, path)
        expect(await http.patch("/app/v1/me", headers=neighbour, json={"first_name": "Варвара"}), 200)
        names = [person["name"] for group in (await _screen(http, auth, path))["groups"]
                 for person in group["people"]]
        assert any("Варвара" in name for name in names), names
    finally:
        clock.set(saved)


@pytest.mark.committed
async def test_a_context_switch_renews_only_that_accounts_screens(http, served):
    """Rule: APP-PREM-02 — switching the current premise renews the switching account's screens
    and leaves another account's cached screens valid."""
    phone = next_phone()
    partner, first, _, auth = await _resident(http, phone)
    second = await give_premise(http, partner, phone, "8")
    _, _, _, other = await _resident(http)
    for who in (auth, other):
        await _screen(http, who, "/app/v1/screens/profile")
    assert (await _screen(http, auth, "/app/v1/screens/profile"))["current_premise"]["id"] == first
    expect(await http.post("/app/v1/session/premise", headers=auth, json={"premise_id": second}), 200)
    assert await _served_from_cache(http, served, other, "/app/v1/screens/profile")
    assert (await _screen(http, auth, "/app/v1/screens/profile"))["current_premise"]["id"] == second


@pytest.mark.committed
async def test_a_returning_login_leaves_the_screens_cached(http, served):
    """Rule: APP-PREM-01 — logging in again only stamps the account's last visit, which no screen
    shows; an account's first login is seen by the people it shares premises with."""
    _, _, _, auth = await _resident(http)
    await _screen(http, auth)
    assert await _served_from_cache(http, served, auth)
    newcomer = next_phone()
    await app_login(http, newcomer)                                 # a first login
    assert not await _served_from_cache(http, served, auth)
    await app_login(http, newcomer)                                 # the same account again
    assert await _served_from_cache(http, served, auth)


@pytest.mark.committed
async def test_an_order_renews_only_its_clients_screens_and_an_event_every_residents(http, served):
    """Rule: APP-ORD-01, APP-ORD-03 — staff working on a request renew the My Orders screen of the
    request's client only; a new event of the partner renews the screens of all its residents (My
    Orders offers events once there are some)."""
    phone, neighbour_phone = next_phone(), next_phone()
    partner, premise, client, auth = await _resident(http, phone)
    neighbour_premise = await give_premise(http, partner, neighbour_phone, "9")
    neighbour = await app_login(http, neighbour_phone)
    order = expect(await http.post("/crm/v1/orders", headers=partner.staff, json={
        "kind": "requests", "premise_id": premise, "client_id": client, "title": "Течёт кран",
        "status": "waiting"}), 201)
    orders = "/app/v1/screens/my-orders?tab=requests"
    for who in (auth, neighbour):
        await _screen(http, who, orders)
        assert await _served_from_cache(http, served, who, orders)

    expect(await http.patch(f"/crm/v1/orders/{order['id']}", headers=partner.staff,
                            json={"status": "in_progress"}), 200)
    assert await _served_from_cache(http, served, neighbour, orders)
    (item,) = (await _screen(http, auth, orders))["groups"][0]["items"]
    assert (item["status"], item["unseen_changes"]) == ("in_progress", True)

    assert "events" not in (await _screen(http, neighbour, orders))["empty_state"]["buttons"]
    expect(await http.post("/crm/v1/orders", headers=partner.staff, json={
        "kind": "events", "premise_id": neighbour_premise, "client_id": await client_in(http, partner, neighbour_phone),
        "title": "Субботник", "status": "planned"}), 201)
    assert "events" in (await _screen(http, neighbour, orders))["empty_state"]["buttons"]
    assert not await _served_from_cache(http, served, auth, orders)


@pytest.mark.committed
async def test_a_premises_writes_renew_only_its_residents_screens(http, served):
    """Rule: APP-PREM-01, APP-PREM-05 — a bill or an edit of one premise renews the screens of the
    people it is linked to and leaves the partner's other residents' screens cached; a premise
    newly linked shows at once."""
    phone, neighbour_phone = next_phone(), next_phone()
    partner, premise, _, auth = await _resident(http, phone)
    await give_premise(http, partner, neighbour_phone, "9")
    neighbour = await app_login(http, neighbour_phone)
    for who in (auth, neighbour):
        await _screen(http, who)
        assert await _served_from_cache(http, served, who)

    await _bill(http, partner, premise, "320.00", number="LS-P1")
    assert await _served_from_cache(http, served, neighbour)
    assert (await _screen(http, auth))["items"][0]["bills_due"] == "320.00"

    expect(await http.patch(f"/crm/v1/premises/{premise}", headers=partner.staff, json={"number": "7А"}), 200)
    assert await _served_from_cache(http, served, neighbour)
    assert "кв. 7А" in (await _screen(http, auth))["items"][0]["address"]

    second = await give_premise(http, partner, phone, "11")
    assert [item["id"] for item in (await _screen(http, auth))["items"]] == [premise, second]


async def _conditional(http, auth, tag: str | None, path="/app/v1/screens/my-premises"):
    headers = {**auth, **({"If-None-Match": tag} if tag else {})}
    return await http.get(path, headers=headers)


@pytest.mark.committed
@pytest.mark.parametrize("cached", [True, False], ids=["cache-on", "cache-off"])
async def test_a_screen_answer_unchanged_since_the_phone_read_it_is_a_304_without_body(http, runtime, served, cached):
    """Rule: APP-PREM-01 — every screen answer carries an ETag; asked again with `If-None-Match`
    it costs the phone no body while nothing it shows changed (served from the cache or built
    again), and a write it shows answers 200 with the new body and a new tag."""
    if not cached:
        runtime.sessionmaker = sessions(runtime.engine, checked=True, reads=served, clock=runtime.clock)
    partner, _, _, auth = await _resident(http)
    first = await _conditional(http, auth, None)
    assert first.status_code == 200 and first.headers["cache-control"] == "private, no-cache"
    tag = first.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"')
    for sent in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        again = await _conditional(http, auth, sent)
        assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", tag), sent
    assert (await _conditional(http, auth, '"someone-elses"')).json() == first.json()
    assert (await _conditional(http, auth, tag, "/app/v1/screens/profile")).status_code == 200  # another URL

    expect(await http.patch(f"/crm/v1/objects/{partner.objects['ЖК Солнечный']}", headers=partner.staff,
                            json={"name": "ЖК Новый"}), 200)
    changed = await _conditional(http, auth, tag)
    assert changed.status_code == 200 and changed.headers["etag"] != tag
    assert changed.json()["items"][0]["object_name"] == "ЖК Новый"
    assert (await _conditional(http, auth, changed.headers["etag"])).status_code == 304


@pytest.mark.committed
async def test_an_answer_stored_without_its_tag_is_still_served_and_tagged(http, runtime, served):
    """Rule: APP-PREM-01 — an answer cached before answers carried their tag (a rolling deploy)
    is sent as it is, with a tag made from it."""
    _, _, _, auth = await _resident(http)
    body = (await _conditional(http, auth, None)).content
    (key,) = [key async for key in runtime.redis.scan_iter(match="screen:*")]  # every node of a cluster
    stored = await runtime.redis.get(key)
    header, _, _ = stored.partition("\n")
    await runtime.redis.set(key, header + "\n" + body.decode())
    queries = served.queries
    old = await _conditional(http, auth, None)
    assert (old.content, served.queries) == (body, queries)
    assert (await _conditional(http, auth, old.headers["etag"])).status_code == 304


@pytest.mark.committed
async def test_the_all_people_and_accesses_screens_are_cached_and_renewed(http, served, clock):
    """Rule: PEOPLE-VIEW-01, PEOPLE-VIEW-02 — "all people" and the accesses tab are served from
    the cache while nothing they show changes, and show a new co-resident, that co-resident's own
    name edit and a new premise of the account on the next read."""
    # Links are stamped by the database's clock, visits by the injected one: the neighbour's app
    # name shows once they open the app after being linked (PEOPLE-CARD-01), so both run on now.
    saved = clock.now()
    clock.set(datetime.now(timezone.utc))
    try:
        phone = next_phone()
        partner, premise, _, auth = await _resident(http, phone)
        everyone, accesses = "/app/v1/screens/people/all", "/app/v1/screens/people/accesses"
        assert (await _screen(http, auth, everyone))["people"] == []
        for path in (everyone, accesses):
            await _screen(http, auth, path)
            assert await _served_from_cache(http, served, auth, path)

        neighbour_phone = next_phone()
        await link(http, partner.staff, premise, await client_in(http, partner, neighbour_phone, "Петрова"), "owner")
        people = (await _screen(http, auth, everyone))["people"]
        assert ["Петрова" in person["name"] for person in people] == [True]
        clock.advance(minutes=1)
        neighbour = await app_login(http, neighbour_phone)
        expect(await http.patch("/app/v1/me", headers=neighbour, json={"first_name": "Варвара"}), 200)
        assert any("Варвара" in person["name"] for person in (await _screen(http, auth, everyone))["people"])

        second = await give_premise(http, partner, phone, "8")
        assert {item["premise_id"] for item in (await _screen(http, auth, accesses))["items"]} == {premise, second}
    finally:
        clock.set(saved)


@pytest.mark.committed
async def test_a_notification_to_a_resident_renews_only_their_screens(http, runtime, served):
    """Rule: APP-PROFILE-01 — an inbox item for a resident who has an account shows on their
    screens at once and leaves every other resident's cached screens valid (no global renewal)."""
    partner, premise, client, auth = await _resident(http)
    _, _, _, other = await _resident(http)
    await _screen(http, other)
    unread = expect(await http.get("/app/v1/screens/profile", headers=auth), 200)["unread_notifications"]
    global_before = await runtime.redis.get(GENERATION_KEY)
    expect(await http.post("/crm/v1/notifications", headers=partner.staff, json={
        "client_id": client, "premise_id": premise, "type": "news", "title": "Вода", "body": "Завтра"}), 201)
    assert await runtime.redis.get(GENERATION_KEY) == global_before
    assert await _served_from_cache(http, served, other)
    assert expect(await http.get("/app/v1/screens/profile", headers=auth), 200)["unread_notifications"] == unread + 1


@pytest.mark.committed
async def test_screen_answers_are_counted_by_how_they_were_served(http, runtime, served):
    """Rule: APP-PREM-01 — /metrics counts cached screens served from Redis (hits), built and
    stored, and built without the cache: the hit ratio an operator watches."""
    from tests.web.test_metrics import samples

    def counts(text: str) -> dict[str, float]:
        found = samples(text)
        return {outcome: found.get(("screen_cache_answers_total", (("outcome", outcome),)), 0)
                for outcome in ("hit", "stored", "built")}

    _, _, _, auth = await _resident(http)
    before = counts((await http.get("/metrics")).text)
    for _ in range(3):
        await _screen(http, auth)
    runtime.sessionmaker = sessions(runtime.engine, checked=True, reads=served, clock=runtime.clock)  # cache off
    await _screen(http, auth)
    after = counts((await http.get("/metrics")).text)
    assert {k: after[k] - before[k] for k in after} == {"hit": 2, "stored": 1, "built": 1}


@pytest.mark.committed
async def test_a_cached_screen_costs_one_redis_round_trip(http, runtime, served, redis_calls):
    """Rule: APP-PREM-01 — a cached screen is one Redis command, the session check that also checks
    the answer; on a Redis Cluster (tests/cluster), where the answer's generations lie on other
    slots than the session, that command and one pipeline of their reads."""
    _, _, _, auth = await _resident(http)
    await _screen(http, auth)
    redis_calls.clear()
    assert await _served_from_cache(http, served, auth)
    names = [name for name, _ in redis_calls]
    assert names == (["EVALSHA", "PIPELINE"] if is_cluster(runtime.redis) else ["EVALSHA"])
