"""What the resident app's screens say: titles per premise type, the My Orders tabs and sorts, empty
states, the header and the Purchases tabs (APP-PREM-04/06, APP-ORD-01..03, APP-PURCH-01, APP-PROFILE-01).

The screens' SQL and assemblers read these tables; the domain decides, the screens word it."""

from __future__ import annotations


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
