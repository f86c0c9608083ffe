"""What the resident app shows, as data: the My Premise titles per premise type, the My Orders tabs
per product, the sorts, which personal data the resident may edit.

The screens' SQL and assemblers read these tables; nothing here touches the database."""

from __future__ import annotations

from core.errors import ErrorCode, InvalidInput, NotAuthenticated, PermissionDenied, RuleViolation
from core.orders.rules import ACTIVE_STATUSES, STATUS_LABELS  # noqa: F401 - re-exported for the screens


# The problem codes of a resident's account and app context.
ResidentCode = ErrorCode.table("ResidentCode", __name__, {
    NotAuthenticated: "account_missing",
    PermissionDenied: "client_blocked field_not_editable brand_switch_unavailable",
    RuleViolation: "premise_of_other_brand",
})


# APP-PREM-06: the widget and screen title follows the premise type.
PREMISE_TITLES = {
    "apartment": "Моя квартира",
    "parking_space": "Моё машиноместо",
    "storage": "Моя кладовая",
    "apartments": "Мои апартаменты",
    "non_residential": "Моё нежилое помещение",
    "house": "Мой дом",
    "townhouse": "Мой таунхаус",
    "duplex": "Мой дуплекс",
    "room": "Моя комната",
    "land": "Мой участок",
}
PREMISE_TYPE_LABELS = {
    "apartment": "Квартира", "parking_space": "Машиноместо", "storage": "Кладовая", "apartments": "Апартаменты",
    "non_residential": "Нежилое помещение", "house": "Дом", "townhouse": "Таунхаус", "duplex": "Дуплекс",
    "room": "Комната", "land": "Участок",
}


def premise_title(premise_type: str) -> str:
    return PREMISE_TITLES.get(premise_type, "Моё помещение")


# APP-ORD-01: one tab per product, in this order; the order kind each tab lists.
ORDER_TABS = (("requests", "requests", "Заявки в УК"), ("services", "marketplace", "Услуги"),
              ("events", "events", "Мероприятия"))
ORDER_SORTS = ("default", "newest", "oldest")


def order_tabs(products: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    """The tabs (key, title) the brand's products enable (APP-ORD-01)."""
    return [(tab, title) for tab, product, title in ORDER_TABS if product in products]


def has_my_orders(products: list[str] | tuple[str, ...]) -> bool:
    """APP-PROFILE-01: the My Orders entry is hidden when the brand has none of its products."""
    return bool(order_tabs(products))


# APP-ORD-02: on requests and services the default sort lifts orders with unseen changes.
UNSEEN_FIRST_TABS = frozenset({"requests", "services"})

EMPTY_ORDERS_TITLE = "Здесь пока нет заказов"
EMPTY_LOTS_TITLE = "Вы ещё не купили недвижимость"
EMPTY_PREMISES_TITLE = "У вас пока нет помещений"

# APP-DATA-01: what the resident may change in My Data; phone and gender are not editable.
PERSON_TYPES = ("individual", "sole_proprietor")
ORGANIZATION_TYPES = ("legal_entity", "foreign_branch")
NOT_EDITABLE = ("phone", "gender")
NOT_EDITABLE_MESSAGE = "Телефон и пол в приложении изменить нельзя: обратитесь в управляющую организацию"


def editable_fields(account_type: str) -> list[str]:
    names = ["last_name", "first_name", "middle_name"] if account_type in PERSON_TYPES else ["name"]
    return ["photo", "type", *names, "birth_date", "email"]


def check_editable(changes: dict, account_type: str) -> None:
    """Refuse phone/gender changes, and names of the other kind of account (a full name for an
    organization, an organization name for a person)."""
    for field in NOT_EDITABLE:
        if field in changes:
            raise PermissionDenied(NOT_EDITABLE_MESSAGE, code=ResidentCode.FIELD_NOT_EDITABLE)
    allowed = set(editable_fields(changes.get("type") or account_type)) | {"type"}
    for field in changes:
        if field not in allowed:
            raise InvalidInput.field(field, "Для этого типа клиента поле не заполняется")


# APP-PREM-03: only the unified app switches brands.
BRAND_SWITCH_UNAVAILABLE = "Сменить бренд можно только в приложении Домиленд"
OTHER_BRAND_PREMISE = "Это помещение обслуживает другой бренд: откройте его в приложении Домиленд"


# APP-PREM-04: the header of Home / Main / Services.
MY_PREMISES = "Мои помещения"
REGION_TITLE = "Регион"


def header(screen: str, *, logged_in: bool, has_premises: bool, current_address: str | None) -> tuple[str, str, str]:
    """(title, kind, action) of the header of `screen`:
    - not logged in: Main shows the region picker; Home (and Services) "Мои помещения" asking to log in;
    - logged in without premises: Main the region; Home and Services "Мои помещения" opening the
      empty list (with its add-request button);
    - premises but none of the current brand: "Мои помещения" everywhere, none marked;
    - a current premise: its address everywhere."""
    if not logged_in:
        if screen == "main":
            return REGION_TITLE, "region", "pick_region"
        return MY_PREMISES, "my_premises", "log_in"
    if not has_premises:
        if screen == "main":
            return REGION_TITLE, "region", "pick_region"
        return MY_PREMISES, "my_premises", "open_my_premises"
    if current_address is None:
        return MY_PREMISES, "my_premises", "open_my_premises"
    return current_address, "premise", "open_my_premises"


# APP-PURCH-01: the Purchases tabs, one per lot stage.
LOT_TABS = (("booking", "Бронирование"), ("deal", "Сделки"), ("acceptance", "Приёмка"))
LOT_STAGE_LABELS = {"booking": "Бронирование", "deal": "Сделка", "acceptance": "Приёмка"}
PROFILE_LOTS = 3  # APP-PROFILE-01: at most three lots in the Profile's purchases block


def account_name(account_type: str, last_name: str | None, first_name: str | None, middle_name: str | None,
                 name: str | None) -> str | None:
    """The name the app shows: the full name of a person, the name of an organization."""
    if account_type in ORGANIZATION_TYPES:
        return name or None
    return " ".join(p for p in (last_name, first_name, middle_name) if p) or None
