"""Russian names of the enumerations the console shows (the wire keeps the codes)."""

from __future__ import annotations

import re

from core.orders.rules import KIND_LABELS, STATUS_LABELS, STATUSES_OF_KIND

PREMISE_TYPES = {
    "apartment": "Квартира", "parking_space": "Машиноместо", "storage": "Кладовая", "apartments": "Апартаменты",
    "non_residential": "Нежилое помещение", "house": "Дом", "townhouse": "Таунхаус", "duplex": "Дуплекс",
    "room": "Комната", "land": "Земельный участок",
}
ROLES = {
    "owner": "Собственник", "resident": "Житель", "representative": "Представитель", "tenant": "Арендатор",
    "unconfirmed_owner": "Неподтверждённый собственник",
}
CLIENT_TYPES = {"individual": "Физлицо", "sole_proprietor": "ИП", "legal_entity": "Юрлицо",
                "foreign_branch": "Филиал иностранной компании"}
CLIENT_STATUSES = {"active": "Активен", "blocked": "Заблокирован"}
JOB_STATUSES = {"pending": "В очереди", "running": "Идёт", "done": "Завершён", "failed": "Ошибка"}
MAILING_STATUSES = {"pending": "Готовится", "sending": "Отправляется", "done": "Отправлена"}
RECIPIENT_STATUSES = {"sent": "Отправлено", "failed": "Ошибка", "pending": "Ожидает", "queued": "В очереди",
                      "sending": "Отправляется", "no_app": "Нет приложения", "no_devices": "Нет устройств с push"}
REQUEST_STATUSES = {"pending": "Ожидает", "approved": "Одобрена", "rejected": "Отклонена"}
CHANNELS = {"push": "Push-уведомление", "sms": "SMS"}
IMPORT_KINDS = {"clients": "Клиенты", "premises": "Помещения"}
PREMISE_SORTS = {"address": "По адресу (А–Я)", "-address": "По адресу (Я–А)", "area": "По площади ↑",
                 "-area": "По площади ↓"}
CLIENT_SORTS = {"name": "По ФИО (А–Я)", "-name": "По ФИО (Я–А)", "phone": "По телефону", "-phone": "По телефону ↓",
                "last_visit": "По последнему визиту ↑", "-last_visit": "По последнему визиту ↓"}
ACTIVITY_TYPES = {"request": "Заявка", "marketplace_order": "Заказ услуги", "bill_payment": "Оплата",
                  "meter_reading": "Показания", "one_time_pass": "Разовый пропуск", "permanent_pass": "Постоянный пропуск",
                  "poll": "Опрос", "owners_meeting": "ОСС", "call": "Звонок"}
ORDER_KINDS = {"requests": "Заявки", "services": "Заказы услуг", "events": "Записи на мероприятия"}
ORDER_KIND = KIND_LABELS  # one order's kind, in the singular
ORDER_STATUSES = STATUS_LABELS
ORDER_STATUSES_OF_KIND = STATUSES_OF_KIND
PARTNER_KINDS = {"management": "Управляющая компания", "developer": "Девелопер", "both": "УК и девелопер"}
PRODUCTS = {"requests": "Заявки", "marketplace": "Маркетплейс", "events": "Мероприятия", "showcase": "Витрина",
            "insurance": "Страхование", "pets": "Питомцы", "transport": "Транспорт", "subscription": "Подписка",
            "payments": "Платежи", "meters": "Счётчики"}
PERMISSIONS = {
    "premises.edit": "Изменять помещения", "clients.edit": "Изменять клиентов",
    "clients.pii.name": "Видеть ФИО клиентов", "clients.pii.contacts": "Видеть телефоны и e-mail клиентов",
    "clients.activity": "Видеть активность клиентов", "clients.tags.edit": "Создавать теги",
    "reports.clients": "Выгружать клиентов", "reports.registration_requests": "Разбирать заявки на регистрацию",
    "sessions.manage": "Завершать сессии приложения", "mailings.send": "Отправлять рассылки",
}
BRAND_COLORS = {"primary": "Основной", "secondary": "Дополнительный", "accent": "Акцент", "background": "Фон",
                "text": "Текст"}
STAFF_STATES = {"active": "Активные", "inactive": "Отключённые"}
KEY_STATES = {"live": "Действующие", "revoked": "Отозванные"}

_HEX = re.compile(r"#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?")


def hex_color(value: object) -> str:
    """A stored colour as it may go into an SVG fill: `#RRGGBB` or `#RRGGBBAA`, anything else
    grey (the API accepts only these; this keeps a bad row from reaching the markup)."""
    return value if isinstance(value, str) and _HEX.fullmatch(value) else "#9e9e9e"


ALL = {
    "premise_types": PREMISE_TYPES, "roles": ROLES, "client_statuses": CLIENT_STATUSES, "client_types": CLIENT_TYPES, "job_statuses": JOB_STATUSES,
    "mailing_statuses": MAILING_STATUSES, "recipient_statuses": RECIPIENT_STATUSES,
    "request_statuses": REQUEST_STATUSES, "channels": CHANNELS, "import_kinds": IMPORT_KINDS,
    "premise_sorts": PREMISE_SORTS, "client_sorts": CLIENT_SORTS, "activity_types": ACTIVITY_TYPES,
    "order_kinds": ORDER_KINDS, "order_kind": ORDER_KIND, "order_statuses": ORDER_STATUSES,
    "order_statuses_of_kind": ORDER_STATUSES_OF_KIND, "partner_kinds": PARTNER_KINDS, "products": PRODUCTS,
    "permissions": PERMISSIONS, "brand_colors": BRAND_COLORS, "staff_states": STAFF_STATES, "key_states": KEY_STATES,
}
