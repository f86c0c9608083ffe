"""Statuses per order kind, and what a change tells the client (SPEC section 2, Order)."""

from __future__ import annotations

import pytest

from core.enums import ORDER_KINDS, ORDER_STATUSES
from core.errors import InvalidInput
from core.orders import rules

REQUEST_LIKE = {"waiting", "in_progress", "paused", "approval", "needs_clarification", "done", "cancelled"}
EVENT = {"planned", "ongoing", "finished", "cancelled"}


@pytest.mark.parametrize("kind", ORDER_KINDS)
@pytest.mark.parametrize("status", ORDER_STATUSES)
def test_statuses_follow_the_kind(kind, status):
    allowed = EVENT if kind == "events" else REQUEST_LIKE
    if status in allowed:
        assert rules.check_status(kind, status) == status
    else:
        with pytest.raises(InvalidInput) as refused:
            rules.check_status(kind, status)
        assert refused.value.errors[0].field == "status"


def test_crm_act_01_active_statuses():
    """Rule: CRM-ACT-01 — the first five request statuses (and planned/ongoing events) are active."""
    assert set(rules.ACTIVE_STATUSES) == REQUEST_LIKE - {"done", "cancelled"} | {"planned", "ongoing"}


@pytest.mark.parametrize(("status", "comment", "body"), [
    ("in_progress", None, "Новый статус: «В работе»"),
    ("done", "Заменили смеситель", "Новый статус: «Выполнено». Заменили смеситель"),
    (None, "Мастер придёт завтра", "Комментарий сотрудника: Мастер придёт завтра"),
])
def test_change_push_text(status, comment, body):
    assert rules.change_push("requests", 7, status=status, comment=comment) == ("Заявка №7", body)


def test_every_kind_has_a_push_type_and_every_status_a_label():
    assert set(rules.PUSH_TYPE_OF_KIND) == set(ORDER_KINDS)
    assert set(rules.STATUS_LABELS) == set(ORDER_STATUSES)
