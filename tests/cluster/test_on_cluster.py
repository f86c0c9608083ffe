"""Login, sessions, abuse limits and the screen cache on a Redis Cluster of three masters
(REDIS_URL `?cluster=true`): the same tests as on one Redis, through a runtime on the cluster
(tests/cluster/conftest.py); and every script's keys on one slot, or the call is refused."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as redis
from redis.cluster import key_slot
from redis.exceptions import RedisClusterException, ResponseError

from bff.cache import CHECK, GENERATION_KEY, answer_key
from core.changes import account
from core.infra.breaker import DependencyDown
from core.infra.redis_scripts import is_cluster
from core.infra.runtime import connect_redis, redis_breaker
from core.infra.settings import Settings
from tests.bff.screens.test_screen_cache import _resident, _screen, _served_from_cache, redis_calls, served  # noqa: F401
from tests.bff.screens.test_screen_cache import (  # noqa: F401
    test_a_cached_screen_costs_one_redis_round_trip,
    test_a_context_switch_renews_only_that_accounts_screens,
    test_a_partners_writes_renew_only_the_screens_that_read_that_partner,
    test_a_premises_writes_renew_only_its_residents_screens,
    test_a_returning_login_leaves_the_screens_cached,
    test_a_screen_answer_unchanged_since_the_phone_read_it_is_a_304_without_body,
    test_an_answer_stored_without_its_tag_is_still_served_and_tagged,
    test_an_order_renews_only_its_clients_screens_and_an_event_every_residents,
    test_every_kind_of_write_renews_the_screens,
    test_repeated_screen_reads_are_served_from_the_cache,
)
from tests.bff.test_abuse_limits import (  # noqa: F401
    test_a_code_that_could_not_be_sent_is_not_counted,
    test_app_requests_per_session_are_limited,
    test_bogus_logins_never_lock_a_phone_out,
    test_burned_code_is_replaced_at_once,
    test_login_attempts_are_limited_per_client_address,
    test_quick_code_requests_do_not_use_up_the_phone_quota,
    test_sms_codes_per_ip_are_limited,
    test_sms_codes_per_phone_are_limited,
    test_staff_password_lockout,
    test_the_platform_sms_budget_is_limited,
    test_wrong_codes_per_phone_burn_codes_but_never_refuse_the_right_one,
)
from tests.bff.test_auth import (  # noqa: F401
    test_code_expires,
    test_code_is_single_use,
    test_login_code_is_written_to_no_table_and_no_log,
    test_logout_refuses_the_token_at_once,
    test_new_code_only_after_resend_interval,
    test_push_01_login_creates_account_and_device_session,
    test_push_03_a_refill_that_read_before_the_logout_does_not_revive_the_token,
    test_push_03_a_session_ended_without_its_cache_renewed_stops_at_the_next_activity_stamp,
    test_push_03_deactivated_session_is_refused_at_once,
    test_push_03_logout_whose_redis_write_after_commit_fails_still_kills_the_token,
    test_refresh_rotates_tokens,
    test_refresh_token_reuse_kills_the_session,
    test_session_state_survives_a_redis_flush,
    test_wrong_codes_are_limited_and_burn_the_code,
)
from tests.servers import start_redis_cluster, stop
from tests.support import expect


async def test_the_runtime_is_on_a_three_master_cluster(runtime):
    assert is_cluster(runtime.redis) and len(runtime.redis.get_primaries()) == 3
    assert (await runtime.redis.cluster_info())["cluster_state"] == "ok"


@pytest.mark.committed
async def test_every_script_the_app_runs_has_its_keys_on_one_slot(http, served, redis_calls, limits):
    """Login (a code issued, a wrong one, the right one), requests with their session check and a
    cached screen, a refresh and a logout: each script's keys share one slot."""
    limits(otp_per_ip_hour=10)
    phone = "+79160000001"
    code = expect(await http.post("/app/v1/auth/otp", json={"phone": phone}), 200)["debug_code"]
    login = {"phone": phone, "device": {"app_id": "domiland", "platform": "android"}}
    assert (await http.post("/app/v1/auth/login", json={**login, "code": "000000"})).status_code == 401
    _, _, _, auth = await _resident(http)
    await _screen(http, auth)
    assert await _served_from_cache(http, served, auth)
    assert expect(await http.post("/app/v1/auth/login", json={**login, "code": code}), 200)["access_token"]
    script_keys = [keys for name, keys in redis_calls if name in ("EVAL", "EVALSHA")]
    assert len(script_keys) >= 8 and {2, 3, 4} <= {len(keys) for keys in script_keys}, redis_calls
    for keys in script_keys:  # a code checked; a code issued, a session checked; and a screen with it
        assert len({key_slot(key.encode()) for key in keys}) == 1, keys


async def test_a_script_whose_keys_span_slots_is_refused(runtime):
    """A key-slot violation does not pass unseen: the client refuses keys of several slots, and a
    script reaching a key it was not given on another slot fails in the cluster."""
    session_id, account_id = uuid.uuid4(), uuid.uuid4()
    keys = [f"sess:{{{session_id}}}", f"rl:app_requests:{{{session_id}}}:1", f"touch:{{{session_id}}}"]
    single_node = [*keys, answer_key(session_id, "/p", ""), GENERATION_KEY, account(account_id).key]
    with pytest.raises(RedisClusterException, match="same key slot"):
        await CHECK(runtime.redis, single_node, 60, "token")
    assert len({key_slot(key.encode()) for key in single_node}) > 1
    # The single-node screen check reads the generations its entry names, keys it was not given:
    # on a cluster, one on another node fails.
    elsewhere = runtime.redis.get_node_from_key(GENERATION_KEY)
    entry = next(key for key in (answer_key(uuid.uuid4(), "/p", "") for _ in range(100))
                 if runtime.redis.get_node_from_key(key) != elsewhere)
    await runtime.redis.set(entry, f"{GENERATION_KEY} x\nanswer")
    with pytest.raises(ResponseError, match="non local key"):
        await runtime.redis.eval("return redis.call('GET', ARGV[1])", 1, entry, GENERATION_KEY)


async def test_a_cluster_that_lost_a_master_is_a_redis_outage(tmp_path, clock):
    """A master gone (no replica to promote): once the others call the cluster down, their keys
    answer CLUSTERDOWN, which the Redis breaker counts as Redis away (the app then answers from
    PostgreSQL) rather than as a failed request."""
    processes, ports = start_redis_cluster(str(tmp_path))
    client = connect_redis(Settings(redis_url=f"redis://127.0.0.1:{ports[0]}/0?cluster=true"))
    survivor = redis.Redis(port=ports[0], decode_responses=True)
    try:
        await client.initialize()  # the slots' nodes learnt
        key = next(key for key in (f"sess:{{{uuid.uuid4()}}}" for _ in range(100))
                   if client.get_node_from_key(key).port == ports[0])
        await client.set(key, "1")
        stop(processes[2:])
        for _ in range(200):  # the cluster's node timeout (2 s) and its gossip
            if "cluster_state:fail" in await survivor.execute_command("CLUSTER", "INFO"):
                break
            await asyncio.sleep(0.05)
        breaker = redis_breaker(clock)
        with pytest.raises(DependencyDown):
            await breaker.run(lambda: client.get(key))
        assert not breaker.closed
    finally:
        await survivor.aclose()
        await client.aclose()
        stop(processes)
