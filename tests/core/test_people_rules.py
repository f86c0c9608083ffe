"""The People rules as plain functions: table-driven, and hypothesis for the rent calendar."""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.errors import InvalidInput, PermissionDenied, RuleViolation
from core.people import rules

pytestmark = pytest.mark.no_db

APP_ROLES = ("resident", "representative", "tenant")


def test_people_role_01_only_owners_and_unconfirmed_owners_give_access():
    """Rule: PEOPLE-ROLE-01 — giving access is the owner's and the unconfirmed owner's; every
    other role, and an unknown one, is refused."""
    assert {role: rules.can_add_people(role) for role in rules.PERSON_ROLES if role != rules.GUEST} == {
        "owner": True, "unconfirmed_owner": True, "representative": False, "resident": False, "tenant": False}
    with pytest.raises(InvalidInput):
        rules.can_add_people("landlord")


# adder role -> role given -> expected error code (None: allowed)
GIVE = {
    "owner": {"resident": None, "representative": None, "tenant": None,
              "owner": "staff_only_role", "unconfirmed_owner": "staff_only_role"},
    "unconfirmed_owner": {"resident": None, "tenant": None, "representative": "owner_only_role",
                          "owner": "staff_only_role", "unconfirmed_owner": "staff_only_role"},
    **{role: {"resident": "cannot_add_people", "representative": "cannot_add_people", "tenant": "cannot_add_people",
              "owner": "staff_only_role", "unconfirmed_owner": "staff_only_role"}
       for role in ("representative", "resident", "tenant")},
}


@pytest.mark.parametrize("adder, given_role, code", [(a, g, c) for a, row in GIVE.items() for g, c in row.items()])
def test_people_add_01_02_who_may_give_which_role(adder, given_role, code):
    """Rule: PEOPLE-ADD-01, PEOPLE-ADD-02"""
    if code is None:
        rules.check_may_give(adder, given_role)
    else:
        with pytest.raises(PermissionDenied) as refused:
            rules.check_may_give(adder, given_role)
        assert refused.value.code == code


@pytest.mark.parametrize("role", ["king", "", "guest"])
def test_unknown_role_or_guest_is_not_a_premise_role(role):
    with pytest.raises(InvalidInput):
        rules.check_may_give("owner", role)


@pytest.mark.parametrize("existing, given_name, same", [
    (("Иванова", "Анна", None), ("иванова", " Анна ", ""), True),
    (("Семёнов", "Пётр", "Ильич"), ("Семенов", "Петр", "Ильич"), True),
    (("Иванова", "Анна", None), ("Иванова", "Анна", "Петровна"), False),
    (("Иванова", "Анна", None), ("Петрова", "Анна", None), False),
])
def test_people_add_03_name_clash(existing, given_name, same):
    """Rule: PEOPLE-ADD-03"""
    if same:
        rules.check_phone_owner_name(existing, given_name)
    else:
        with pytest.raises(RuleViolation) as refused:
            rules.check_phone_owner_name(existing, given_name)
        assert refused.value.detail == rules.NAME_CLASH


@pytest.mark.parametrize("birth, today, child", [
    (date(2008, 11, 25), date(2026, 11, 24), True),
    (date(2008, 11, 24), date(2026, 11, 24), False),
    (None, date(2026, 11, 24), False),
    (date(2010, 2, 28), date(2026, 11, 24), True),
])
def test_people_add_05_child_by_birth_date(birth, today, child):
    """Rule: PEOPLE-ADD-05"""
    assert rules.is_child(birth, today) is child


@pytest.mark.parametrize("role, phone, error", [
    ("resident", None, None), ("guest", None, None), ("resident", "+79170000001", InvalidInput),
    ("tenant", None, RuleViolation), ("representative", None, RuleViolation),
])
def test_people_add_05_child_roles_and_no_phone(role, phone, error):
    """Rule: PEOPLE-ADD-05"""
    if error is None:
        rules.check_child(role, phone=phone)
    else:
        with pytest.raises(error):
            rules.check_child(role, phone=phone)


@pytest.mark.parametrize("role, rent_day, ok", [
    ("tenant", 1, True), ("tenant", 31, True), ("tenant", None, False), ("tenant", 0, False), ("tenant", 32, False),
    ("resident", None, True), ("resident", 5, False),
])
def test_people_add_06_rent_day_only_and_always_for_tenants(role, rent_day, ok):
    """Rule: PEOPLE-ADD-06"""
    if ok:
        assert rules.check_rent_day(role, rent_day) == rent_day
    else:
        with pytest.raises(InvalidInput):
            rules.check_rent_day(role, rent_day)


@pytest.mark.parametrize("added_by_viewer, is_guest, delete, edit", [
    (True, True, True, True), (True, False, True, False), (False, False, False, False),
])
def test_people_card_01_rights(added_by_viewer, is_guest, delete, edit):
    """Rule: PEOPLE-CARD-01"""
    assert rules.card_rights(added_by_viewer=added_by_viewer, is_guest=is_guest) == rules.CardRights(delete, edit)
    assert rules.may_manage_link(link_added_by_account=None, viewer_account=1) is False
    assert rules.may_manage_link(link_added_by_account=1, viewer_account=1) is True


months = st.tuples(st.integers(2000, 2100), st.integers(1, 12))
days = st.dates(date(2000, 1, 1), date(2100, 12, 31))
rent_days = st.integers(1, 31)


@given(months, rent_days)
def test_rent_date_is_in_the_month_and_clamped_to_its_last_day(month, rent_day):
    year, m = month
    last = calendar.monthrange(year, m)[1]
    got = rules.rent_date(year, m, rent_day)
    assert (got.year, got.month) == (year, m)
    assert got.day == min(rent_day, last)


@given(days, rent_days)
def test_rent_days_falling_on_agrees_with_rent_date(day, rent_day):
    assert (rent_day in rules.rent_days_falling_on(day)) == (rules.rent_date(day.year, day.month, rent_day) == day)


@given(months, rent_days)
def test_each_reminder_fires_on_exactly_one_day_per_period(month, rent_day):
    """Rule: PEOPLE-ADD-06 — over the days around a month, the owner is reminded once, on the rent
    date, and the tenant once, three days before it, both for that month's period."""
    year, m = month
    due = rules.rent_date(year, m, rent_day)
    period = rules.period_of(due)
    window = [date(year, m, 1) - timedelta(days=5) + timedelta(days=i) for i in range(40)]
    owner_days = [d for d in window if rules.owner_reminder_due(d, rent_day) == period]
    tenant_days = [d for d in window if rules.tenant_reminder_due(d, rent_day) == period]
    assert owner_days == [due]
    assert tenant_days == [due - timedelta(days=3)]


@given(st.datetimes(datetime(2020, 1, 1), datetime(2040, 1, 1), timezones=st.just(timezone.utc)))
def test_reminders_wait_for_the_moscow_morning(now):
    day = rules.reminder_day(now)
    local = now + timedelta(hours=3)
    assert day == (local.date() if local.hour >= 9 else None)
