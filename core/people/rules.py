"""Who may do what in the People area, decided by plain functions without the database.

The People rules (SPEC section 6) as plain functions: who may add whom, what each role may do
(PEOPLE-ROLE-01, one table), the child rules, the name clash of PEOPLE-ADD-03, who may manage a
person or a link (PEOPLE-CARD-01), and the rent-day calendar (PEOPLE-ADD-06)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from core.enums import LINK_ROLES
from core.errors import ErrorCode, InvalidInput, PermissionDenied, RuleViolation


# The problem codes of the people of a premise.
PeopleCode = ErrorCode.table("PeopleCode", __name__, {
    PermissionDenied: "staff_only_role cannot_add_people owner_only_role link_not_yours not_a_guest "
                      "person_not_yours",
    RuleViolation: "guests_unavailable child_role phone_name_mismatch",
})


GUEST = "guest"
# Every role a person can hold: the premise roles plus guest (no premise, events only).
PERSON_ROLES = (*LINK_ROLES, GUEST)
# The roles of the People screen, in the order the app shows its groups.
GROUP_ORDER = ("owner", "resident", "tenant", "representative", "unconfirmed_owner")
STAFF_ONLY_ROLES = ("owner", "unconfirmed_owner")
CHILD_ROLES = ("resident", GUEST)
ADULT_AGE = 18
TENANT_REMINDER_DAYS_BEFORE = 3

NAME_CLASH = ("Номер уже зарегистрирован с другими ФИО. Проверьте корректность введенных данных и попробуйте "
              "еще раз или создайте заявку в управляющую компанию")


# PEOPLE-ROLE-01, the part the app acts on: the roles a holder may give to others on the premise
# (PEOPLE-ADD-01/02). Owners give residents, representatives and tenants; unconfirmed owners
# residents and tenants; representatives, residents and tenants give none. Meetings (ОСС) and
# meetings by proxy are not in the product, so no check needs them.
GRANTS: dict[str, frozenset[str]] = {
    "owner": frozenset({"resident", "representative", "tenant"}),
    "unconfirmed_owner": frozenset({"resident", "tenant"}),
    "representative": frozenset(),
    "resident": frozenset(),
    "tenant": frozenset(),
}


def grants(role: str) -> frozenset[str]:
    try:
        return GRANTS[role]
    except KeyError:
        raise InvalidInput.field("role", f"Неизвестная роль: {role}") from None


def can_add_people(role: str) -> bool:
    """PEOPLE-ADD-01: only owners and unconfirmed owners add people to a premise."""
    return bool(grants(role))


def check_role_known(role: str) -> str:
    if role not in PERSON_ROLES:
        raise InvalidInput.field("role", f"Неизвестная роль: {role}")
    return role


def check_may_give(adder_role: str, role: str) -> None:
    """PEOPLE-ADD-01/02: may an account holding `adder_role` on a premise give `role` there?"""
    check_role_known(role)
    if role == GUEST:
        raise InvalidInput.field("role", "Гость не получает доступ к помещению")
    if role in STAFF_ONLY_ROLES:
        raise PermissionDenied("Собственников и неподтвержденных собственников добавляют только сотрудники "
                               "управляющей организации", code=PeopleCode.STAFF_ONLY_ROLE)
    if not can_add_people(adder_role):
        raise PermissionDenied("Добавлять людей в помещение могут только собственники и неподтвержденные "
                               "собственники", code=PeopleCode.CANNOT_ADD_PEOPLE)
    if role not in grants(adder_role):
        raise PermissionDenied("Представителя может добавить только собственник", code=PeopleCode.OWNER_ONLY_ROLE)


def check_guests_available(events_enabled: bool) -> None:
    """Guests exist only where the brand has events (Афиша мероприятий)."""
    if not events_enabled:
        raise RuleViolation("Гостей можно добавлять, только если подключена «Афиша мероприятий»",
                            code=PeopleCode.GUESTS_UNAVAILABLE)


# ---- children ---------------------------------------------------------------------------------

def age_on(birth_date: date, today: date) -> int:
    years = today.year - birth_date.year
    return years - ((today.month, today.day) < (birth_date.month, birth_date.day))


def is_child(birth_date: date | None, today: date) -> bool:
    """Under 18 by birth date; without a birth date a person counts as an adult."""
    return birth_date is not None and age_on(birth_date, today) < ADULT_AGE


def may_sign_up_for_events(birth_date: date | None) -> bool:
    """PEOPLE-ADD-05: a person without a birth date cannot be signed up for events."""
    return birth_date is not None


def check_birth_date(birth_date: date | None, today: date) -> None:
    if birth_date is not None and birth_date > today:
        raise InvalidInput.field("birth_date", "Дата рождения не может быть в будущем")


def check_child(role: str, *, phone: str | None) -> None:
    """PEOPLE-ADD-05: a child has no phone and may be only a resident or a guest."""
    if phone:
        raise InvalidInput.field("phone", "У ребёнка не указывается номер телефона")
    if role not in CHILD_ROLES:
        raise RuleViolation("Ребёнка можно добавить только жителем / членом семьи или гостем", code=PeopleCode.CHILD_ROLE)


def check_person_fields(role: str, *, child: bool, phone: str | None, last_name: str | None,
                        first_name: str | None, child_name: str | None) -> None:
    """The fields a new person needs: a child — how to address them; an adult — a full name and,
    for access to a premise, the phone they will log in with."""
    if child:
        check_child(role, phone=phone)
        if not child_name and not first_name:
            raise InvalidInput.field("child_name", "Укажите, как обращаться к ребёнку")
        return
    if not last_name or not first_name:
        raise InvalidInput.field("first_name" if last_name else "last_name", "Укажите фамилию и имя")
    if role != GUEST and not phone:
        raise InvalidInput.field("phone", "Укажите телефон, с которым человек будет входить в приложение")


# ---- tenants and rent -------------------------------------------------------------------------

def check_rent_day(role: str, rent_day: int | None) -> int | None:
    """PEOPLE-ADD-06: a tenant needs a rent day (1-31); nobody else has one."""
    if rent_day is not None and not 1 <= rent_day <= 31:
        raise InvalidInput.field("rent_day", "День оплаты аренды — число от 1 до 31")
    if role == "tenant" and rent_day is None:
        raise InvalidInput.field("rent_day", "Для арендатора укажите день оплаты аренды")
    if role != "tenant" and rent_day is not None:
        raise InvalidInput.field("rent_day", "День оплаты аренды указывается только для арендатора")
    return rent_day


def rent_date(year: int, month: int, rent_day: int) -> date:
    """The rent date of a month: days 29-31 fall on the last day of shorter months."""
    return date(year, month, min(rent_day, calendar.monthrange(year, month)[1]))


def rent_days_falling_on(day: date) -> tuple[int, ...]:
    """The rent days whose rent date is `day`: its own day, and on a month's last day also the
    larger days that month lacks."""
    last = calendar.monthrange(day.year, day.month)[1]
    return tuple(range(day.day, 32)) if day.day == last else (day.day,)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def tenant_reminder_date(today: date) -> date:
    """The rent date the tenant is reminded of today (three days ahead)."""
    return today + timedelta(days=TENANT_REMINDER_DAYS_BEFORE)


def tenant_reminder_due(today: date, rent_day: int) -> str | None:
    """The period (YYYY-MM of the rent date) the tenant is reminded of today, or None."""
    ahead = tenant_reminder_date(today)
    return period_of(ahead) if rent_date(ahead.year, ahead.month, rent_day) == ahead else None


def owner_reminder_due(today: date, rent_day: int) -> str | None:
    """The period the owner is asked today to check the tenant's payment for, or None."""
    return period_of(today) if rent_date(today.year, today.month, rent_day) == today else None


# ---- names (PEOPLE-ADD-03) ----------------------------------------------------------------------

def _name_key(*parts: str | None) -> tuple[str, ...]:
    return tuple(" ".join((p or "").replace("ё", "е").replace("Ё", "Е").split()).casefold() for p in parts)


def same_full_name(a: tuple[str | None, str | None, str | None], b: tuple[str | None, str | None, str | None]) -> bool:
    """Full names compare without regard to case, spacing and ё/е."""
    return _name_key(*a) == _name_key(*b)


def check_phone_owner_name(existing: tuple[str | None, str | None, str | None],
                           given: tuple[str | None, str | None, str | None]) -> None:
    """PEOPLE-ADD-03: a phone that matches a CRM client with a different full name is refused;
    the same name means the existing person is linked."""
    if not same_full_name(existing, given):
        raise RuleViolation(NAME_CLASH, code=PeopleCode.PHONE_NAME_MISMATCH)


# ---- person card (PEOPLE-CARD-01) ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CardRights:
    can_delete: bool
    can_edit: bool


def card_rights(*, added_by_viewer: bool, is_guest: bool) -> CardRights:
    """Delete only a person the viewer added; edit the data only of a guest (the viewer's own)."""
    return CardRights(can_delete=added_by_viewer, can_edit=is_guest and added_by_viewer)


def may_manage_link(*, link_added_by_account: object | None, viewer_account: object) -> bool:
    """Change role, remove access, change rent day: only on links the viewer created. Links made
    by staff (CRM-LINK-01) or other residents are out of reach."""
    return link_added_by_account is not None and link_added_by_account == viewer_account


def check_may_manage_link(*, link_added_by_account: object | None, viewer_account: object) -> None:
    if not may_manage_link(link_added_by_account=link_added_by_account, viewer_account=viewer_account):
        raise PermissionDenied("Изменить роль или закрыть доступ можно только тому, кого вы добавили сами",
                               code=PeopleCode.LINK_NOT_YOURS)


# ---- when reminders go out ----------------------------------------------------------------------

# Partners have no time zone of their own yet; the days of rent are Moscow days, and nobody is
# woken at night: reminders go out from 09:00 local time on.
REMINDER_TZ = "Europe/Moscow"
REMINDER_FROM_HOUR = 9


def reminder_day(now: datetime) -> date | None:
    """The local day reminders are due for at `now`, or None before the morning hour."""
    local = now.astimezone(ZoneInfo(REMINDER_TZ))
    return local.date() if local.hour >= REMINDER_FROM_HOUR else None


def shows_app_profile(*, is_viewer: bool, last_visit_at: datetime | None, known_since: datetime | None) -> bool:
    """PEOPLE-CARD-01: a person's app-side data (the name, photo and e-mail they set in the app,
    their profile's creation date) reaches another resident only once the person has opened the
    app since they became visible to that resident (linked to a premise the resident has, or
    added by them): typing a phone into "add a person" reveals nothing the adder did not type.
    The same rule in SQL is core.people.repository.APP_PROFILE_SHOWN_SQL."""
    if is_viewer:
        return True
    return last_visit_at is not None and known_since is not None and last_visit_at >= known_since


def card_birth_date(birth_date: date | None, *, child: bool, added_by_viewer: bool) -> date | None:
    """PEOPLE-CARD-01: a card shows no birth date of an adult; a child's only to whoever added
    the child (who typed it)."""
    return birth_date if child and added_by_viewer else None
