"""PUSH-07: what counts as an opt-out — a change from deliverable to not deliverable, never a first report."""

from __future__ import annotations

import pytest

from core.notifications.rules import is_opt_out
from tests.push.conftest import new_phone

ALL_OFF = {t: False for t in ("requests", "bills", "news", "events", "marketplace", "people", "rent", "meters",
                              "passes", "polls", "mailings", "chat")}


@pytest.mark.parametrize(("before_os", "before_types", "after_os", "after_types", "expected"), [
    (None, {}, False, {}, False),            # first report: permission denied at the prompt
    (None, {}, False, ALL_OFF, False),       # first report: everything off
    (None, {}, None, ALL_OFF, False),        # first report of the switches: all off
    (None, {"news": True}, False, {"news": True}, False),  # the OS permission reported for the first time
    (True, {}, False, {}, True),             # turned the OS permission off
    (True, {}, True, ALL_OFF, True),         # turned every type off
    (None, {"news": True}, None, ALL_OFF, True),  # deliverable (permission not yet asked), all types off
    (False, {}, False, ALL_OFF, False),      # was not deliverable already
    (True, {}, True, {"news": False}, False),  # still deliverable
])
def test_push_07_opt_out_is_a_change_from_deliverable_to_not(before_os, before_types, after_os, after_types,
                                                             expected):
    assert is_opt_out(before_os, before_types, after_os, after_types) is expected


async def test_push_07_a_first_report_of_off_is_not_an_opt_out(world, http, clock):
    """Rule: PUSH-07 — an install that denies the permission at once never opted in."""
    phones = [new_phone() for _ in range(3)]
    for phone in phones:
        await world.client(phone)
    denied = await world.resident(phones[0])
    await world.device(denied, fcm_token="tok-denied", os_notifications_enabled=False)
    all_off = await world.resident(phones[1])
    await world.device(all_off, os_notifications_enabled=True, notification_types=ALL_OFF)
    turned_off = await world.resident(phones[2])
    await world.device(turned_off, os_notifications_enabled=True)
    await world.device(turned_off, os_notifications_enabled=False)
    answer = await http.get("/crm/v1/monitor/push", headers=world.staff,
                            params={"from": "2026-11-24", "to": "2026-11-24", "granularity": "day"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["buckets"][0]["opt_outs"] == 1
    assert answer.json()["opt_outs_total"] == 1
