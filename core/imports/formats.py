"""The Excel template (one for import and export, IMPORT-08) and the XML format, read as a
stream of rows so a file of any size is imported with flat memory."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from defusedxml import ElementTree as SafeET
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

PREMISE_TYPES_RU = {
    "Квартира": "apartment", "Машиноместо": "parking_space", "Кладовая": "storage", "Апартаменты": "apartments",
    "Нежилое помещение": "non_residential", "Дом": "house", "Таунхаус": "townhouse", "Дуплекс": "duplex",
    "Комната": "room", "Участок": "land",
}
ROLES_RU = {"Собственник": "owner", "Житель": "resident", "Представитель": "representative",
            "Арендатор": "tenant", "Неподтверждённый собственник": "unconfirmed_owner"}
PREMISE_TYPE_LABEL = {v: k for k, v in PREMISE_TYPES_RU.items()}
ROLE_LABEL = {v: k for k, v in ROLES_RU.items()}


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    help: str
    required: bool = False
    import_: bool = True  # False: shown in exports, ignored on import


PREMISE_COLUMNS = [
    Column("external_id", "Внешний ID помещения", "Идентификатор помещения в вашей системе", True),
    Column("object_id", "ID объекта", "Идентификатор объекта (ЖК) из CRM", True),
    Column("type", "Тип помещения", "Квартира, Машиноместо, Кладовая, … (или код: apartment, parking_space, …)", True),
    Column("address", "Адрес", "Заполняется при выгрузке, при загрузке не читается", import_=False),
    Column("street", "Улица", "Например: Ленина", True),
    Column("house", "Дом", "Номер дома, например 5 или 5А", True),
    Column("building", "Корпус", ""),
    Column("entrance", "Подъезд", ""),
    Column("floor", "Этаж", "Пусто — 0"),
    Column("number", "Номер помещения", "Номер квартиры, машиноместа, …", True),
    Column("total_area", "Общая площадь", "м², не меньше 0"),
    Column("living_area", "Жилая площадь", "м², не больше общей"),
    Column("rooms", "Комнат", ""),
    Column("tags", "Теги", "Через запятую"),
    Column("account_external_id", "Внешний ID лицевого счёта", "Лицевые счета обновляются по внешнему ID"),
    Column("account_number", "Лицевой счёт", "Номер лицевого счёта"),
    Column("account_els", "ЕЛС", "10 символов: 00АА000000"),
    Column("client_external_id", "Внешний ID клиента", "Клиенты сопоставляются по внешнему ID и телефону"),
    Column("client_phone", "Телефон", "+7 999 123-45-67, 8 999 …"),
    Column("client_last_name", "Фамилия", ""),
    Column("client_first_name", "Имя", ""),
    Column("client_middle_name", "Отчество", ""),
    Column("client_role", "Роль", "Собственник, Житель, Представитель, Арендатор, Неподтверждённый собственник"),
    Column("client_share", "Доля", "Доля собственности, например 0.5"),
    Column("client_rent_day", "День аренды", "Для арендатора: число от 1 до 31"),
    Column("certificate", "Свидетельство №, дата", "", import_=False),
    Column("ddu", "ДДУ №, дата", "", import_=False),
    Column("acceptance_act", "Акт приёма-передачи №, дата", "", import_=False),
    Column("management_contract", "Договор управления №, дата", "", import_=False),
]

CLIENT_COLUMNS = [
    Column("external_id", "Внешний ID клиента", "Идентификатор клиента в вашей системе", True),
    Column("phone", "Телефон", "+7 999 123-45-67, 8 999 …", True),
    Column("last_name", "Фамилия", "Только буквы, пробел, дефис, апостроф"),
    Column("first_name", "Имя", ""),
    Column("middle_name", "Отчество", ""),
    Column("app_name", "Имя в приложении", "", import_=False),
    Column("email", "Email", ""),
    Column("birth_date", "Дата рождения", "ДД.ММ.ГГГГ"),
    Column("loyalty_card", "Карта лояльности", ""),
    Column("premises", "Помещения", "", import_=False),
    Column("personal_accounts", "Лицевые счета", "", import_=False),
    Column("entrances", "Подъезды", "", import_=False),
    Column("floors", "Этажи", "", import_=False),
    Column("first_login_at", "Первый вход", "", import_=False),
    Column("last_visit_at", "Последний визит", "", import_=False),
    Column("external_ids", "Все внешние ID", "", import_=False),
]

COLUMNS = {"premises": PREMISE_COLUMNS, "clients": CLIENT_COLUMNS}
SHEETS = {"premises": "Помещения", "clients": "Клиенты"}


# A text starting with one of these is what a spreadsheet reads as a formula (openpyxl writes one
# starting with "=" as a formula outright; Excel and LibreOffice take "+", "-", "@" as one when
# the cell is edited, and a tab or carriage return hides the sign in front).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def values_row(sheet, values: Iterable[Any]) -> list[Any]:
    """`values` as a row every sheet the service writes appends: a text that could read as a
    formula becomes a cell typed as text and marked quote-prefixed (the spreadsheet shows it as
    typed, never evaluates it, also once edited), so a street, tag or e-mail set to
    `=HYPERLINK(...)` cannot send the cells of whoever opens the file anywhere. The value itself
    is kept, so the file still imports as it was exported."""
    row = []
    for value in values:
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            cell = WriteOnlyCell(sheet, value=value)
            cell.data_type = "s"
            cell.quotePrefix = True
            value = cell
        row.append(value)
    return row


def template(kind: str) -> bytes:
    """The template with an example row and an instruction sheet."""
    columns = COLUMNS[kind]
    book = Workbook()
    sheet = book.active
    sheet.title = SHEETS[kind]
    sheet.append(values_row(sheet, [c.title + (" *" if c.required else "") for c in columns]))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    example = EXAMPLES[kind]
    sheet.append(values_row(sheet, [example.get(c.key, "") for c in columns]))
    if kind == "premises":
        types = DataValidation(type="list", formula1='"' + ",".join(PREMISE_TYPES_RU) + '"', allow_blank=True)
        roles = DataValidation(type="list", formula1='"' + ",".join(ROLES_RU) + '"', allow_blank=True)
        sheet.add_data_validation(types)
        sheet.add_data_validation(roles)
        type_col = _letter(columns, "type")
        role_col = _letter(columns, "client_role")
        types.add(f"{type_col}2:{type_col}100000")
        roles.add(f"{role_col}2:{role_col}100000")
    help_sheet = book.create_sheet("Инструкция")
    help_sheet.append(values_row(help_sheet, ["Колонка", "Обязательная", "Как заполнять"]))
    for cell in help_sheet[1]:
        cell.font = Font(bold=True)
    for c in columns:
        help_sheet.append(values_row(help_sheet, [c.title, "да" if c.required else "", c.help]))
    for line in INSTRUCTIONS[kind]:
        help_sheet.append([])
        help_sheet.append(values_row(help_sheet, [line]))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _letter(columns: list[Column], key: str) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(next(i for i, c in enumerate(columns, start=1) if c.key == key))


EXAMPLES = {
    "premises": {"external_id": "P-001", "object_id": "<ID объекта из CRM>", "type": "Квартира", "street": "Ленина",
                 "house": "5", "entrance": "1", "floor": 3, "number": "12", "total_area": 54.3, "living_area": 32.1,
                 "rooms": 2, "account_external_id": "LS-001", "account_number": "0012345",
                 "client_external_id": "1C-001", "client_phone": "+7 916 123-45-67", "client_last_name": "Иванова",
                 "client_first_name": "Анна", "client_middle_name": "Сергеевна", "client_role": "Собственник",
                 "client_share": 1},
    "clients": {"external_id": "1C-001", "phone": "+7 916 123-45-67", "last_name": "Иванова", "first_name": "Анна",
                "middle_name": "Сергеевна", "email": "anna@example.com", "birth_date": "17.05.1990"},
}
INSTRUCTIONS = {
    "premises": [
        "Одна строка — одно помещение с одним клиентом и одним лицевым счётом. У помещения с несколькими "
        "клиентами или счетами строки идут подряд с одним и тем же «Внешним ID помещения».",
        "Собственники помещения заменяются набором из файла: собственник, которого нет в файле, теряет доступ "
        "вместе с зависящими от него жителями (кроме отмеченных «не удалять при интеграции»). Если ни в одной "
        "строке помещения колонки клиента не заполнены, его клиенты остаются как есть.",
        "Строки с ошибками не загружаются; остальные загружаются. Отчёт называет строку, колонку и причину.",
    ],
    "clients": [
        "Одна строка — один клиент. Клиент ищется по внешнему ID и по телефону (правила импорта в справке).",
        "Строки с ошибками не загружаются; остальные загружаются. Отчёт называет строку, колонку и причину.",
    ],
}


# --- reading ---------------------------------------------------------------------------------------

@dataclass(slots=True)
class Row:
    number: int  # as the person sees it: row 2 is the first data row of a sheet, element 1 of an XML
    values: dict[str, Any]


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, datetime):
        return value.date()
    return value


@dataclass(frozen=True, slots=True)
class Limits:
    """What one file may hold (README: IMPORT_MAX_*): a file past them fails, or a premise past
    its cap is one row error, with a message that names the limit."""

    rows: int = 300_000
    premise_rows: int = 1000
    unpacked_bytes: int = 1024 << 20
    ratio: int = 200

    @classmethod
    def of(cls, settings) -> "Limits":
        return cls(rows=settings.import_max_rows, premise_rows=settings.import_max_premise_rows,
                   unpacked_bytes=settings.import_max_unpacked_mb << 20, ratio=settings.import_max_ratio)


class FileRefused(Exception):
    """The file breaks a limit; the message (for the person who uploaded it) names the limit."""


# A part this small may be packed as tightly as it likes: the ratio only guards big parts.
_RATIO_FLOOR = 1 << 20


def check_archive(source, limits: Limits) -> None:
    """Refuse a zip bomb before openpyxl unpacks anything (even read-only it loads all of
    sharedStrings.xml). The sizes in the zip directory are binding: zipfile stops reading a
    member at its declared size and fails its CRC if the data goes on."""
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        return  # not a zip at all: openpyxl says so in its own words
    try:
        total = 0
        for info in archive.infolist():
            total += info.file_size
            if info.file_size > _RATIO_FLOOR and info.file_size > limits.ratio * max(info.compress_size, 1):
                raise FileRefused(f"Файл сжат подозрительно сильно (часть {info.filename} больше сжатой в "
                                  f"{_n(info.file_size // max(info.compress_size, 1))} раз, допустимо до "
                                  f"{_n(limits.ratio)}); сохраните его заново в Excel")
        if total > limits.unpacked_bytes:
            raise FileRefused(f"Файл в распакованном виде больше {_n(limits.unpacked_bytes >> 20)} МБ — это предел "
                              f"одного файла; разделите его на несколько")
    finally:
        archive.close()
        source.seek(0)


def _too_many_rows(limits: Limits) -> FileRefused:
    return FileRefused(f"В файле больше {_n(limits.rows)} строк — это предел одного файла; разделите его на "
                       f"несколько (строки до предела загружены)")


def _n(number: int) -> str:
    return f"{number:,}".replace(",", "\u00a0")


_MAX_COLUMNS = 200


def read_xlsx(source, kind: str, limits: Limits = Limits()) -> Iterator[Row]:
    """Rows of the first sheet, matched to the template's columns by their titles."""
    check_archive(source, limits)
    book = load_workbook(source, read_only=True, data_only=True)
    try:
        sheet = book.worksheets[0]
        # Only the columns the template can have are read: a sheet declaring 16,384 columns would
        # otherwise hand over 16,384 cells for every row.
        header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=_MAX_COLUMNS, values_only=True), None) or ()
        by_title = {c.title: c for c in COLUMNS[kind] if c.import_}
        keys = [by_title.get(str(h or "").replace("*", "").strip()) for h in header]
        wanted = [(i, col) for i, col in enumerate(keys) if col is not None]
        rows = sheet.iter_rows(min_row=2, max_col=max((i for i, _ in wanted), default=0) + 1, values_only=True)
        last = limits.rows + 1
        for number, values in enumerate(rows, start=2):
            if number > last:  # blank rows count too: each of them costs parsing
                raise _too_many_rows(limits)
            row = {}
            for i, col in wanted:
                if i < len(values) and (value := _cell(values[i])) is not None:
                    row[col.key] = value
            if row:
                yield Row(number, row)
    finally:
        book.close()


def read_xml(source, kind: str, limits: Limits = Limits()) -> Iterator[Row]:
    """`<import><premise …><account …/><client …/></premise>…</import>` or `<import><client …/>…`.
    Each premise becomes rows like the Excel ones (one per client or account). defusedxml refuses
    entities and external references; every finished element is dropped from the tree, and a
    premise with more children than a premise may have rows stops being kept at its cap."""
    number = 0
    root = premise = None
    children = 0
    for event, element in SafeET.iterparse(source, events=("start", "end")):
        if root is None:
            root = element
            continue
        if event == "start":
            if kind == "premises" and element.tag == "premise":
                premise, children = element, 0
            continue
        if kind == "premises" and element.tag in ("account", "client"):
            children += 1
            if children > limits.premise_rows and premise is not None and len(premise) and premise[-1] is element:
                del premise[-1]  # premise_items reports the premise; its surplus is not kept
            continue
        if kind == "premises" and element.tag == "premise":
            number += 1
            if number > limits.rows:
                raise _too_many_rows(limits)
            base = dict(element.attrib)
            accounts = [a.attrib for a in element.findall("account") if a.attrib]
            clients = [c.attrib for c in element.findall("client") if c.attrib]
            count = max(1, len(accounts), len(clients), min(children, limits.premise_rows + 1))
            for i in range(count):
                row = dict(base)
                if i < len(accounts):
                    row.update({f"account_{k}": v for k, v in accounts[i].items()})
                if i < len(clients):
                    row.update({f"client_{k}": v for k, v in clients[i].items()})
                yield Row(number, {k: _cell(v) for k, v in row.items() if _cell(v) is not None})
            root.clear()
        elif kind == "clients" and element.tag == "client":
            number += 1
            if number > limits.rows:
                raise _too_many_rows(limits)
            yield Row(number, {k: _cell(v) for k, v in element.attrib.items() if _cell(v) is not None})
            root.clear()


# --- rows to import items --------------------------------------------------------------------------

def _date(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 10 and value[2] == "." and value[5] == ".":
        return f"{value[6:]}-{value[3:5]}-{value[:2]}"
    if isinstance(value, date):
        return value.isoformat()
    return value


def _text(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value) if isinstance(value, (int, float)) else value


def client_item(values: dict[str, Any]) -> dict[str, Any]:
    item = {k: _text(values[k]) for k in ("external_id", "phone", "last_name", "first_name", "middle_name", "email",
                                          "loyalty_card") if k in values}
    if "birth_date" in values:
        item["birth_date"] = _date(values["birth_date"])
    return item


def premise_items(rows: Iterable[Row], limits: Limits = Limits()
                  ) -> Iterator[tuple[dict[str, Any], list[int], str | None]]:
    """Group consecutive rows of one premise into one import item, in time linear in the rows.
    Yields (item, row numbers, problem) — a problem when the rows of a premise do not follow
    each other, or when a premise has more rows than a premise may have (one problem for the
    whole premise, its rows counted but not kept)."""
    seen: set[str] = set()
    current: dict[str, Any] | None = None
    accounts: set[tuple] = set()
    numbers: list[int] = []

    def finished() -> tuple[dict[str, Any], list[int], str | None]:
        if len(numbers) > limits.premise_rows:
            return {}, numbers, (f"У помещения {_n(len(numbers))} строк, а у одного помещения может быть не больше "
                                 f"{_n(limits.premise_rows)}; помещение не загружено")
        return current, numbers, None

    for row in rows:
        values = row.values
        key = _text(values.get("external_id"))
        if current is not None and key == current["external_id"]:
            if len(numbers) < limits.premise_rows:
                _add_parts(current, values, accounts)
            numbers.append(row.number)
            continue
        if current is not None:
            yield finished()
        if key and key in seen:
            yield {}, [row.number], "Строки одного помещения должны идти подряд"
            current, numbers = None, []
            continue
        if key:
            seen.add(key)
        current = _premise_base(values)
        accounts = set()
        numbers = [row.number]
        _add_parts(current, values, accounts)
    if current is not None:
        yield finished()


def _premise_base(values: dict[str, Any]) -> dict[str, Any]:
    # No `clients` key until a row of the premise fills a client column: a row set without clients
    # says nothing about the premise's people (IMPORT-06).
    item: dict[str, Any] = {"external_id": _text(values.get("external_id")), "accounts": []}
    for key in ("object_id", "street", "house", "building", "entrance", "number"):
        if key in values:
            item[key] = _text(values[key])
    if "type" in values:
        item["type"] = PREMISE_TYPES_RU.get(values["type"], values["type"])
    for key in ("floor", "rooms"):
        if key in values:
            item[key] = int(values[key]) if isinstance(values[key], (int, float)) else values[key]
    for key in ("total_area", "living_area"):
        if key in values:
            item[key] = str(values[key])
    if "tags" in values:
        item["tags"] = [t.strip() for t in str(values["tags"]).split(",") if t.strip()]
    return item


def _add_parts(item: dict[str, Any], values: dict[str, Any], accounts: set[tuple]) -> None:
    if "account_external_id" in values or "account_number" in values:
        account = {"external_id": _text(values.get("account_external_id") or values.get("account_number")),
                   "number": _text(values.get("account_number") or values.get("account_external_id"))}
        if "account_els" in values:
            account["els"] = values["account_els"]
        # A set of what the premise already has: `account not in item["accounts"]` made grouping
        # quadratic in the rows of one premise.
        seen = tuple(account.items())
        if seen not in accounts:
            accounts.add(seen)
            item["accounts"].append(account)
    if "client_external_id" in values or "client_phone" in values:
        client = {k[len("client_"):]: _text(v) for k, v in values.items()
                  if k.startswith("client_") and k not in ("client_role", "client_rent_day", "client_share")}
        client["role"] = ROLES_RU.get(values.get("client_role"), values.get("client_role") or "owner")
        if "client_rent_day" in values:
            client["rent_day"] = int(values["client_rent_day"])
        if "client_share" in values:
            client["share"] = str(values["client_share"])
        item.setdefault("clients", []).append(client)


def column_title(kind: str, field: str) -> str:
    """The column a field error points at, e.g. `clients[0].phone` → «Телефон»."""
    last = field.split(".")[-1].split("[")[0]
    keys = {c.key: c.title for c in COLUMNS[kind]}
    prefix = "account_" if "account" in field else "client_"
    for candidate in (field, f"{prefix}{last}" if prefix[:-1] in field else None, last, f"client_{last}",
                      f"account_{last}"):
        if candidate and candidate in keys:
            return keys[candidate]
    return keys.get(last, field)
