"""A reusable CRM data set for benchmarks: one big partner (500,000 clients, 200,000 premises by
default) and 20 small partners, loaded with COPY into the real schema (built by the migrations)
of a dedicated database on the server of DATABASE_URL, or of the embedded PostgreSQL when it is
unset.

    dataset = await build(url)            # url=None: the server of DATABASE_URL / embedded one
    dataset.actor()                       # a PartnerPrincipal of the big partner's staff member
    dataset.phones, dataset.surnames, dataset.addresses   # values that exist, to search for
    dataset.residents[30]                 # an app account owning 30 premises

A database that already holds a data set built with the same parameters (and the same
migrations) is reused: its `bench_dataset` marker row holds the parameters and the samples.

Rows are generated from deterministic ids (`_uid`), a seeded random generator per partner, and
streamed to COPY in chunks, so memory stays flat whatever the size."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import os
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import asyncpg

from core.infra.database_url import with_database
from core.infra.reads import connect_args

DEFAULT_DATABASE = "bench_crm"
CHUNK = 20_000
PROGRESS_ROWS = 100_000  # a progress line each time a table passes a multiple of this
SAMPLES = 400
MARKER = "bench_dataset"
FORMAT_VERSION = 2  # bump when the generator changes what it writes
RESIDENT_SIZES = (1, 5, 30)

# --- vocabularies --------------------------------------------------------------------------

SURNAMES = (
    "Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков",
    "Фёдоров", "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов",
    "Степанов", "Николаев", "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв",
    "Борисов", "Яковлев", "Григорьев", "Романов", "Воробьёв", "Сергеев", "Кузьмин", "Фролов",
    "Александров", "Дмитриев", "Королёв", "Гусев", "Киселёв", "Ильин", "Максимов", "Поляков", "Сорокин",
    "Виноградов", "Ковалёв", "Белов", "Медведев", "Антонов", "Тарасов", "Жуков", "Баранов", "Филиппов",
    "Комаров", "Давыдов", "Беляев", "Герасимов", "Богданов", "Осипов", "Сидоров", "Матвеев", "Титов",
    "Марков", "Миронов", "Крылов", "Куликов", "Карпов", "Власов", "Мельников", "Денисов", "Гаврилов",
    "Тихонов", "Казаков", "Афанасьев", "Данилов", "Савельев", "Тимофеев", "Фомин", "Чернов", "Абрамов",
    "Мартынов", "Ефимов", "Федотов", "Щербаков", "Назаров", "Калинин", "Исаев", "Чернышёв", "Быков",
    "Маслов", "Родионов", "Коновалов", "Лазарев", "Воронин", "Климов", "Филатов", "Пономарёв", "Голубев",
    "Кудрявцев", "Прохоров", "Наумов", "Потапов", "Журавлёв", "Овчинников", "Трофимов", "Леонов",
    "Соболев", "Ермаков", "Колесников", "Гончаров", "Емельянов", "Никифоров", "Грачёв", "Котов",
    "Гришин", "Ефремов", "Архипов", "Громов", "Кириллов", "Малышев", "Панов", "Моисеев", "Румянцев",
    "Акимов", "Кондратьев", "Бирюков", "Горбунов", "Анисимов", "Ерёмин", "Тихомиров", "Галкин",
    "Лукьянов", "Михеев", "Скворцов", "Юдин", "Белоусов", "Нестеров", "Симонов", "Прокофьев", "Харитонов",
    "Князев", "Цветков", "Левин", "Митрофанов", "Воронов", "Аксёнов", "Софронов", "Мальцев", "Логинов",
    "Горшков", "Савин", "Краснов", "Майоров", "Демидов", "Елисеев", "Рыбаков", "Сафонов", "Плотников",
    "Шубин", "Шевченко", "Бондаренко", "Ткаченко", "Кравченко", "Коваленко", "Черных", "Седых", "Ким",
)
FIRST_MALE = (
    "Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл", "Михаил",
    "Никита", "Матвей", "Роман", "Егор", "Арсений", "Иван", "Денис", "Евгений", "Даниил", "Тимофей",
    "Владислав", "Игорь", "Владимир", "Павел", "Руслан", "Марк", "Константин", "Тимур", "Олег", "Ярослав",
    "Антон", "Николай", "Глеб", "Данила", "Савелий", "Вадим", "Степан", "Юрий", "Богдан", "Артур",
    "Семён", "Макар", "Лев", "Виктор", "Елисей", "Виталий", "Вячеслав", "Захар", "Мирон", "Дамир",
)
FIRST_FEMALE = (
    "Анастасия", "Мария", "Анна", "Виктория", "Екатерина", "Наталья", "Марина", "Полина", "София",
    "Дарья", "Алиса", "Ксения", "Александра", "Елена", "Ольга", "Татьяна", "Ирина", "Юлия", "Светлана",
    "Алёна", "Вероника", "Арина", "Валерия", "Кристина", "Елизавета", "Варвара", "Маргарита", "Ева",
    "Надежда", "Людмила", "Галина", "Любовь", "Вера", "Нина", "Оксана", "Яна", "Диана", "Милана",
    "Ульяна", "Василиса", "Таисия", "Злата", "Ангелина", "Карина", "Валентина", "Лариса", "Евгения",
)
PATRONYMIC_ROOTS = (
    ("Александр", "Александрович", "Александровна"), ("Дмитрий", "Дмитриевич", "Дмитриевна"),
    ("Сергей", "Сергеевич", "Сергеевна"), ("Андрей", "Андреевич", "Андреевна"),
    ("Алексей", "Алексеевич", "Алексеевна"), ("Михаил", "Михайлович", "Михайловна"),
    ("Иван", "Иванович", "Ивановна"), ("Владимир", "Владимирович", "Владимировна"),
    ("Николай", "Николаевич", "Николаевна"), ("Юрий", "Юрьевич", "Юрьевна"),
    ("Виктор", "Викторович", "Викторовна"), ("Игорь", "Игоревич", "Игоревна"),
    ("Олег", "Олегович", "Олеговна"), ("Павел", "Павлович", "Павловна"),
    ("Евгений", "Евгеньевич", "Евгеньевна"), ("Анатолий", "Анатольевич", "Анатольевна"),
    ("Василий", "Васильевич", "Васильевна"), ("Петр", "Петрович", "Петровна"),
    ("Геннадий", "Геннадьевич", "Геннадьевна"), ("Валерий", "Валерьевич", "Валерьевна"),
    ("Борис", "Борисович", "Борисовна"), ("Григорий", "Григорьевич", "Григорьевна"),
    ("Константин", "Константинович", "Константиновна"), ("Роман", "Романович", "Романовна"),
    ("Максим", "Максимович", "Максимовна"), ("Вадим", "Вадимович", "Вадимовна"),
    ("Леонид", "Леонидович", "Леонидовна"), ("Станислав", "Станиславович", "Станиславовна"),
)
STREETS = (
    "Ленина", "Советская", "Мира", "Садовая", "Молодёжная", "Школьная", "Лесная", "Центральная",
    "Набережная", "Заречная", "Гагарина", "Пушкина", "Лермонтова", "Чехова", "Гоголя", "Толстого",
    "Кирова", "Комсомольская", "Пролетарская", "Первомайская", "Октябрьская", "Луговая", "Полевая",
    "Новая", "Зелёная", "Солнечная", "Парковая", "Весенняя", "Сосновая", "Берёзовая", "Рабочая",
    "Строителей", "Победы", "Маяковского", "Куйбышева", "Калинина", "Фрунзе", "Чапаева", "Свердлова",
    "Дзержинского", "Карла Маркса", "Энгельса", "Островского", "Некрасова", "Суворова", "Кутузова",
    "Жукова", "Маршала Жукова", "Мичурина", "Циолковского", "Королёва", "Ломоносова", "Менделеева",
    "Павлова", "Тургенева", "Достоевского", "Есенина", "Блока", "Ахматовой", "Цветаевой", "Шолохова",
    "Горького", "Крылова", "Грибоедова", "Радищева", "Герцена", "Белинского", "Добролюбова",
    "Чернышевского", "Плеханова", "Урицкого", "Володарского", "Щорса", "Котовского", "Будённого",
    "Ворошилова", "Тимирязева", "Вернадского", "Вавилова", "Курчатова", "Лобачевского", "Попова",
    "Ползунова", "Кулибина", "Академика Королёва", "Академика Павлова", "Космонавтов", "Авиаторов",
    "Железнодорожная", "Вокзальная", "Заводская", "Фабричная", "Промышленная", "Индустриальная",
    "Северная", "Южная", "Восточная", "Западная", "Нагорная", "Подгорная", "Озёрная", "Речная",
    "Прибрежная", "Приморская", "Степная", "Таёжная", "Рябиновая", "Черёмуховая", "Сиреневая",
    "Липовая", "Кленовая", "Каштановая", "Тополиная", "Вишнёвая", "Яблоневая", "Ореховая",
    "Дружбы", "Мичуринская", "Энтузиастов", "Новаторов", "Изыскателей", "Геологов", "Нефтяников",
    "Газовиков", "Энергетиков", "Металлургов", "Шахтёров", "Химиков", "Связистов", "Учителей",
    "Профсоюзная", "Коммунистическая", "Интернациональная", "Революционная", "Красноармейская",
    "Ленинградская", "Московская", "Казанская", "Волжская", "Уральская", "Сибирская", "Амурская",
    "Хабаровская", "Иркутская", "Омская", "Тверская", "Рязанская", "Тульская", "Калужская",
    "Ярославская", "Костромская", "Вологодская", "Архангельская", "Мурманская", "Псковская",
)
COMPLEXES = (
    "Северный", "Южный парк", "Солнечный", "Зелёный квартал", "Ривьера", "Лесной", "Олимп", "Гранд",
    "Династия", "Айвазовский", "Берёзки", "Столичный", "Панорама", "Символ", "Восход", "Триумф",
    "Арбатский", "Звёздный", "Сердце города", "Новые горизонты", "Белый парус", "Янтарный", "Изумруд",
    "Серебряный бор", "Парковый", "Весна", "Светлый мир", "Акварели", "Огни залива", "Дом у реки",
)
LEGAL_FORMS = ("ООО", "АО", "ПАО")
ORG_WORDS = ("Альфа", "Вектор", "Стройинвест", "Гарант", "Меридиан", "Прогресс", "Успех", "Капитал",
             "Регион", "Техносервис", "Профи", "Эталон", "Лидер", "Монолит", "Фаворит", "Аргумент")
CLIENT_TAGS = ("vip", "должник", "собственник", "застройщик", "новосёл", "совет дома")
PREMISE_TAGS = ("угловая", "с ремонтом", "без отделки", "пентхаус", "видовая")
UPPER_LETTERS = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЭЮЯ"
HOUSE_SUFFIXES = ("", "", "", "", "", "", "А", "Б", "/1", "/2", "к2")

# Phones: the 10^9 numbers +79XXXXXXXXX are walked in a scrambled order by a bijection of
# [0, 10^9), so each position gives a distinct, random-looking number without remembering any.
_PHONE_SPACE = 10 ** 9
_PHONE_MUL = 387_420_489  # 3^18, coprime with 10^9
_PHONE_ADD = 123_456_789


def phone_at(position: int) -> str:
    return f"+79{(_PHONE_MUL * position + _PHONE_ADD) % _PHONE_SPACE:09d}"


def _uid(kind: int, partner_no: int, index: int) -> uuid.UUID:
    """Deterministic ids: the kind of row, the partner and the row's index, as a version-4 UUID."""
    return uuid.UUID(int=(0xBE7C << 112) | (kind << 96) | (partner_no << 64) | index, version=4)


K_PARTNER, K_BRAND, K_GROUP, K_QUARTER, K_OBJECT, K_PREMISE, K_CLIENT, K_ACCOUNT, K_LINK, K_PA, K_ROLE, K_STAFF, \
    K_SESSION = range(1, 14)


# --- the result ------------------------------------------------------------------------------

@dataclass(slots=True)
class Resident:
    """A client of the big partner who logs into the app and owns `len(premise_ids)` premises."""

    account_id: str
    client_id: str
    phone: str
    premise_ids: list[str]


@dataclass(slots=True)
class Dataset:
    database_url: str
    params: dict
    partner_id: str
    staff_id: str
    staff_email: str
    staff_password: str
    small_partner_ids: list[str]
    phones: list[str]
    surnames: list[str]
    addresses: list[list[str]]  # [street, house, number]
    residents: dict[int, Resident]
    rows: dict[str, int] = field(default_factory=dict)
    build_seconds: float = 0.0
    reused: bool = False

    def actor(self):
        """The big partner's staff member with every permission, as the services take it."""
        from core.enums import PERMISSIONS
        from core.partners.service import PartnerPrincipal

        return PartnerPrincipal(uuid.UUID(self.partner_id), "staff", uuid.UUID(self.staff_id),
                                frozenset(PERMISSIONS))

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("database_url")
        data.pop("reused")
        data["residents"] = {str(k): asdict(v) for k, v in self.residents.items()}
        return data

    @classmethod
    def from_json(cls, database_url: str, data: dict) -> Dataset:
        residents = {int(k): Resident(**v) for k, v in data.pop("residents").items()}
        return cls(database_url=database_url, residents=residents, reused=True, **data)


# --- where it goes ---------------------------------------------------------------------------

def server_url(database_url: str | None = None) -> str:
    """The URL of the server to build on: the argument, DATABASE_URL, or the embedded one."""
    url = database_url or os.environ.get("DATABASE_URL") or None
    if url:
        return url
    from core.infra.runtime import database_url_of
    from core.infra.settings import load_settings

    return database_url_of(load_settings())


async def connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(**connect_args(url, timeout=10, command_timeout=3600))


def migrations_fingerprint() -> str:
    """A change to the migrations makes a cached data set stale."""
    from core.infra.migrate import MIGRATIONS

    digest = hashlib.sha1()
    for path in sorted(Path(MIGRATIONS, "versions").glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


# --- building --------------------------------------------------------------------------------

async def build(database_url: str | None = None, *, clients: int = 500_000, premises: int = 200_000,
                small_partners: int = 20, small_clients: int = 2_000, small_premises: int = 800,
                seed: int = 20261124, database: str = DEFAULT_DATABASE, rebuild: bool = False,
                log=None) -> Dataset:
    """Build the data set into `database` on the server of `database_url` (its own database name
    is ignored), or reuse it when it already holds one built with the same parameters. `log`
    takes the progress lines (printed at once by default)."""
    log = log or functools.partial(print, flush=True)
    params = {"clients": clients, "premises": premises, "small_partners": small_partners,
              "small_clients": small_clients, "small_premises": small_premises, "seed": seed,
              "format": FORMAT_VERSION, "migrations": migrations_fingerprint()}
    server = server_url(database_url)
    url = with_database(server, database)
    if not rebuild:
        cached = await _cached(url, params)
        if cached is not None:
            log(f"dataset: reusing {database} ({clients:,} clients, {premises:,} premises, "
                f"built in {cached.build_seconds:.1f} s)")
            return cached

    started = time.perf_counter()
    log(f"dataset: building {database} ({clients:,} clients, {premises:,} premises and {small_partners} small "
        f"partners) on {server.split('@')[-1]}; a minute or two")
    admin = await connect(with_database(server, "postgres"))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
    finally:
        await admin.close()
    from core.infra.migrate import upgrade_async

    await upgrade_async(url)
    schema_seconds = time.perf_counter() - started
    log(f"dataset: schema of {database} built by the migrations in {schema_seconds:.1f} s")

    loader = _Loader(params, log)
    connection = await connect(url)
    try:
        # The plain (not unique) indexes are built once after the load: kept up row by row during
        # COPY (the n-gram GIN index above all) they more than doubled its time. The migrations'
        # definitions are put back as they were.
        indexes = await connection.fetch("""
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.schemaname = current_schema() AND i.indexdef NOT LIKE 'CREATE UNIQUE %'""")
        for row in indexes:
            await connection.execute(f'DROP INDEX "{row["indexname"]}"')
        load_started = time.perf_counter()
        dataset = await loader.load(connection, url)
        load_seconds = time.perf_counter() - load_started
        total_rows = sum(dataset.rows.values())
        log(f"dataset: {total_rows:,} rows loaded by COPY in {load_seconds:.1f} s "
            f"({total_rows / load_seconds:,.0f} rows/s): "
            + ", ".join(f"{k} {v:,}" for k, v in dataset.rows.items()))
        index_started = time.perf_counter()
        log(f"dataset: building {len(indexes)} indexes")
        await connection.execute("SET maintenance_work_mem = '256MB'")
        for row in indexes:
            await connection.execute(row["indexdef"])
        log(f"dataset: {len(indexes)} indexes built in {time.perf_counter() - index_started:.1f} s")
        # The stored app use of every card: the load skipped the triggers that keep it, so it is
        # computed once here by the migrations' own function.
        use_started = time.perf_counter()
        await connection.execute("INSERT INTO client_app_use (client_id, partner_id) SELECT id, partner_id FROM client "
                                 "ON CONFLICT (client_id) DO NOTHING")
        await connection.execute("SELECT client_app_use_refresh(ARRAY("
                                 "SELECT c.id FROM client c JOIN account a ON a.phone = c.phone))")
        log(f"dataset: stored app use of every card in {time.perf_counter() - use_started:.1f} s")
        analyze_started = time.perf_counter()
        # Like a settled production database: statistics, visibility map (index-only scans),
        # hint bits set and tuples frozen, so the first queries do not pay for the bulk load.
        await connection.execute("VACUUM (FREEZE, ANALYZE)")
        log(f"dataset: VACUUM (FREEZE, ANALYZE) in {time.perf_counter() - analyze_started:.1f} s")
        dataset.build_seconds = round(time.perf_counter() - started, 1)
        await connection.execute(f"CREATE TABLE {MARKER} (params jsonb NOT NULL, info jsonb NOT NULL, "
                                 "built_at timestamptz NOT NULL DEFAULT now())")
        await connection.execute(f"INSERT INTO {MARKER} (params, info) VALUES ($1, $2)",
                                 json.dumps(params), json.dumps(dataset.to_json(), ensure_ascii=False))
    finally:
        await connection.close()
    log(f"dataset: built in {dataset.build_seconds:.1f} s in all")
    return dataset


async def _cached(url: str, params: dict) -> Dataset | None:
    try:
        connection = await connect(url)
    except (asyncpg.InvalidCatalogNameError, OSError):
        return None
    try:
        if not await connection.fetchval("SELECT to_regclass($1) IS NOT NULL", MARKER):
            return None
        row = await connection.fetchrow(f"SELECT params, info FROM {MARKER} LIMIT 1")
    finally:
        await connection.close()
    if row is None or json.loads(row["params"]) != params:
        return None
    return Dataset.from_json(url, json.loads(row["info"]))


@dataclass(slots=True)
class _House:
    object_index: int
    street: str
    house: str
    apartments: int
    parking: int
    storages: int

    @property
    def size(self) -> int:
        return self.apartments + self.parking + self.storages


class _Loader:
    def __init__(self, params: dict, log) -> None:
        self.params = params
        self.log = log
        self.rows: dict[str, int] = {}
        self.started = time.perf_counter()
        self.now = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)

    async def load(self, db: asyncpg.Connection, url: str) -> Dataset:
        p = self.params
        # The data is consistent by construction: skip the row-by-row foreign key triggers when the
        # role may (a superuser); otherwise they simply run.
        try:
            await db.execute("SET session_replication_role = replica")
        except asyncpg.InsufficientPrivilegeError:
            self.log("dataset: not a superuser, foreign keys are checked row by row (slower)")
        await db.execute("SET synchronous_commit = off")

        partners = [(0, "УК «Большой город»", p["clients"], p["premises"])]
        partners += [(n, f"УК «Малая {n:02d}»", p["small_clients"], p["small_premises"])
                     for n in range(1, p["small_partners"] + 1)]
        await self._copy(db, "partner", ("id", "name", "kind", "products"),
                         [(_uid(K_PARTNER, n, 0), name, "management" if n else "both",
                           ["events", "marketplace", "meters", "payments", "requests"]) for n, name, _, _ in partners])
        await self._copy(db, "brand", ("id", "partner_id", "slug", "name", "colors", "icon_url"),
                         [(_uid(K_BRAND, n, 0), _uid(K_PARTNER, n, 0), f"bench-{n:02d}", name,
                           json.dumps({"primary": "#1E88E5", "secondary": "#FFC107", "accent": "#E91E63",
                                       "background": "#FFFFFF", "text": "#212121"}),
                           f"https://cdn.example.ru/bench-{n:02d}/icon.png") for n, name, _, _ in partners])
        await db.executemany("UPDATE partner SET default_brand_id = $1 WHERE id = $2",
                             [(_uid(K_BRAND, n, 0), _uid(K_PARTNER, n, 0)) for n, *_ in partners])

        from core.enums import PERMISSIONS
        from core.infra.security import hash_password

        staff_password = "bench-staff-password"
        staff_email = "bench-staff@bench.example"
        await self._copy(db, "role", ("id", "partner_id", "name", "permissions"),
                         [(_uid(K_ROLE, 0, 0), _uid(K_PARTNER, 0, 0), "Администратор", list(PERMISSIONS))])
        await self._copy(db, "staff", ("id", "partner_id", "role_id", "email", "name", "password_hash"),
                         [(_uid(K_STAFF, 0, 0), _uid(K_PARTNER, 0, 0), _uid(K_ROLE, 0, 0), staff_email,
                           "Бенчмарк Сотрудник", hash_password(staff_password))])

        samples: dict[str, list] = {"phones": [], "surnames": [], "addresses": []}
        residents: dict[int, Resident] = {}
        for n, _, client_count, premise_count in partners:
            rng = random.Random(p["seed"] * 1009 + n)
            await self._copy(db, "client", CLIENT_COLUMNS,
                             self._clients(n, client_count, rng, samples if n == 0 else None))
            await self._copy(db, "account", ACCOUNT_COLUMNS, self._accounts(n, client_count, rng))
            await self._copy(db, "device_session", SESSION_COLUMNS, self._sessions(n, client_count, len(partners)))
            plan = self._plan(n, premise_count, rng)
            await self._objects(db, n, plan, rng)
            special = _special_owners(premise_count, client_count) if n == 0 else {}
            await self._premises(db, n, plan, client_count, rng, special, samples if n == 0 else None)
            if n == 0:
                for size, (client_index, premise_indexes) in _residents(premise_count, client_count).items():
                    residents[size] = Resident(account_id=str(_uid(K_ACCOUNT, 0, client_index)),
                                               client_id=str(_uid(K_CLIENT, 0, client_index)),
                                               phone=phone_at(client_index),
                                               premise_ids=[str(_uid(K_PREMISE, 0, i)) for i in premise_indexes])
        await db.execute("RESET session_replication_role")
        return Dataset(database_url=url, params=self.params, partner_id=str(_uid(K_PARTNER, 0, 0)),
                       staff_id=str(_uid(K_STAFF, 0, 0)), staff_email=staff_email, staff_password=staff_password,
                       small_partner_ids=[str(_uid(K_PARTNER, n, 0)) for n, *_ in partners[1:]],
                       phones=samples["phones"], surnames=samples["surnames"], addresses=samples["addresses"],
                       residents=residents, rows=self.rows)

    async def _copy(self, db: asyncpg.Connection, table: str, columns: tuple[str, ...], records) -> None:
        """COPY `records` (any iterable) into `table` in chunks of CHUNK rows."""
        chunk: list[tuple] = []
        for record in records:
            chunk.append(record)
            if len(chunk) >= CHUNK:
                await self._copy_chunk(db, table, columns, chunk)
                chunk = []
        if chunk:
            await self._copy_chunk(db, table, columns, chunk)

    async def _copy_chunk(self, db: asyncpg.Connection, table: str, columns: tuple[str, ...], chunk: list) -> None:
        await db.copy_records_to_table(table, records=chunk, columns=columns)
        before = self.rows.get(table, 0)
        self.rows[table] = before + len(chunk)
        if self.rows[table] // PROGRESS_ROWS > before // PROGRESS_ROWS:
            self.log(f"dataset: {table} {self.rows[table]:,} rows, {sum(self.rows.values()):,} in all "
                     f"({time.perf_counter() - self.started:.0f} s)")

    # clients and accounts

    def _phone_position(self, partner_no: int, j: int) -> int:
        """Position of client j's phone: the big partner takes [0, clients); a small partner's
        clients mostly get numbers of their own, but every tenth is also a big partner's client
        (one person, cards at two partners, one app account)."""
        if partner_no == 0:
            return j
        small = self.params["small_clients"]
        if j % 10 == 5 and small <= self.params["clients"]:
            return (partner_no * small + j) % self.params["clients"]
        return self.params["clients"] + (partner_no - 1) * small + j

    def _has_account(self, partner_no: int, j: int) -> bool:
        """About 40 % of clients have logged into the app (the first three always do)."""
        if partner_no and j % 10 == 5 and self.params["small_clients"] <= self.params["clients"]:
            return False  # the big partner's card owns this phone's account
        return j < 3 or (j * 2654435761) % 10 < 4

    def _person(self, j: int, rng: random.Random) -> tuple:
        if rng.random() < 0.02:
            return ("legal_entity", None, None, None, f"{rng.choice(LEGAL_FORMS)} «{rng.choice(ORG_WORDS)}-{j % 97}»",
                    None)
        female = rng.random() < 0.52
        surname = _pareto(SURNAMES, rng)
        if female:
            surname = _feminine(surname)
            first = _pareto(FIRST_FEMALE, rng)
        else:
            first = _pareto(FIRST_MALE, rng)
        middle = None if rng.random() < 0.08 else rng.choice(PATRONYMIC_ROOTS)[2 if female else 1]
        return ("individual", surname, first, middle, None, "female" if female else "male")

    def _clients(self, partner_no: int, count: int, rng: random.Random, samples: dict | None) -> Iterator[tuple]:
        partner_id = _uid(K_PARTNER, partner_no, 0)
        step = max(1, count // SAMPLES)
        for j in range(count):
            kind, last, first, middle, org, gender = self._person(j, rng)
            phone = phone_at(self._phone_position(partner_no, j))
            email = f"user{partner_no}x{j}@mail.example" if rng.random() < 0.3 else None
            birth = date(1950, 1, 1) + timedelta(days=rng.randrange(20_000)) if kind == "individual" and rng.random() < 0.6 else None
            tags = [rng.choice(CLIENT_TAGS)] if rng.random() < 0.05 else []
            status = "blocked" if rng.random() < 0.01 else "active"
            if samples is not None and j % step == 0:
                samples["phones"].append(phone)
                if last:
                    samples["surnames"].append(last)
            yield (_uid(K_CLIENT, partner_no, j), partner_id, kind, last, first, middle, org, phone, email, gender,
                   birth, tags, status, rng.random() < 0.001)

    def _accounts(self, partner_no: int, count: int, rng: random.Random) -> Iterator[tuple]:
        for j in range(count):
            if not self._has_account(partner_no, j):
                continue
            first_login = self.now - timedelta(days=rng.randrange(1, 900), seconds=rng.randrange(86_400))
            last_visit = first_login + (self.now - first_login) * rng.random()
            yield (_uid(K_ACCOUNT, partner_no, j), phone_at(self._phone_position(partner_no, j)), "individual",
                   first_login, last_visit)

    def _sessions(self, partner_no: int, count: int, partner_count: int) -> Iterator[tuple]:
        """One device session per account: seven in ten in the partner's white-label app, two in
        the unified app, one in another partner's white-label app (which this partner does not
        see, STAFF-04). Times from a hash of the index, so the generators' random draws stay as
        they were."""
        for j in range(count):
            if not self._has_account(partner_no, j):
                continue
            h = (j * 2654435761 + partner_no) & 0xFFFFFFFF
            kind = h % 10
            app = (f"bench-{partner_no:02d}" if kind < 7 else "domiland" if kind < 9
                   else f"bench-{(partner_no + 1) % partner_count:02d}")
            created = self.now - timedelta(days=1 + (h >> 4) % 900, seconds=(h >> 14) % 86_400)
            last = created + (self.now - created) * (((h >> 8) % 1000) / 1000)
            yield (_uid(K_SESSION, partner_no, j), _uid(K_ACCOUNT, partner_no, j), app, "android", created, last)

    # objects, premises, links, personal accounts

    def _plan(self, partner_no: int, premise_count: int, rng: random.Random) -> list[_House]:
        """Houses of 150-450 apartments plus parking spaces and storages, eight houses to an
        object, several houses to a street, until `premise_count` premises."""
        houses: list[_House] = []
        total, index = 0, 0
        streets = list(STREETS)
        rng.shuffle(streets)
        if partner_no:
            streets = streets[:4]
        while total < premise_count:
            street = streets[index % len(streets)]
            number = f"{1 + 2 * (index // len(streets)) + rng.randrange(2)}{rng.choice(HOUSE_SUFFIXES)}"
            house = _House(index // 8, street, number, rng.randrange(150, 451), rng.randrange(0, 61),
                           rng.randrange(0, 31))
            left = premise_count - total
            if house.size > left:
                house.apartments = min(house.apartments, left)
                house.parking = min(house.parking, left - house.apartments)
                house.storages = left - house.apartments - house.parking
            houses.append(house)
            total += house.size
            index += 1
        return houses

    async def _objects(self, db: asyncpg.Connection, partner_no: int, plan: list[_House], rng: random.Random) -> None:
        partner_id = _uid(K_PARTNER, partner_no, 0)
        count = plan[-1].object_index + 1 if plan else 0
        groups = max(1, count // 10)
        await self._copy(db, "object_group", ("id", "partner_id", "name"),
                         [(_uid(K_GROUP, partner_no, g), partner_id, f"Район {g + 1}") for g in range(groups)])
        await self._copy(db, "quarter", ("id", "partner_id", "object_group_id", "name"),
                         [(_uid(K_QUARTER, partner_no, g), partner_id, _uid(K_GROUP, partner_no, g), f"Квартал {g + 1}")
                          for g in range(groups)])
        first_house = {}
        for house in plan:
            first_house.setdefault(house.object_index, house)
        await self._copy(db, "estate_object", ("id", "partner_id", "object_group_id", "quarter_id", "brand_id", "name",
                                               "address", "postal_code", "online_payment", "external_id"),
                         [(_uid(K_OBJECT, partner_no, o), partner_id, _uid(K_GROUP, partner_no, o % groups),
                           _uid(K_QUARTER, partner_no, o % groups), _uid(K_BRAND, partner_no, 0),
                           f"ЖК «{COMPLEXES[o % len(COMPLEXES)]}»" + (f" {o // len(COMPLEXES) + 1}" if o >= len(COMPLEXES) else ""),
                           f"г. Москва, ул. {first_house[o].street}, д. {first_house[o].house}",
                           f"1{rng.randrange(10_000, 99_999)}", rng.random() < 0.9, f"OBJ-{o}")
                          for o in range(count)])

    async def _premises(self, db: asyncpg.Connection, partner_no: int, plan: list[_House], client_count: int,
                        rng: random.Random, special: dict[int, int], samples: dict | None) -> None:
        """Premises in plan order, with their links and personal accounts, copied chunk by chunk
        (the links and accounts of a chunk after the chunk itself)."""
        partner_id = _uid(K_PARTNER, partner_no, 0)
        total = sum(h.size for h in plan)
        step = max(1, total // SAMPLES)
        premises: list[tuple] = []
        links: list[tuple] = []
        accounts: list[tuple] = []
        next_client = 36 if partner_no == 0 else 0
        link_no = 0
        i = 0

        async def flush() -> None:
            await self._copy(db, "premise", PREMISE_COLUMNS, premises)
            await self._copy(db, "premise_link", LINK_COLUMNS, links)
            await self._copy(db, "personal_account", PA_COLUMNS, accounts)
            premises.clear(), links.clear(), accounts.clear()

        for house in plan:
            object_id = _uid(K_OBJECT, partner_no, house.object_index)
            floors = rng.choice((9, 12, 17, 25))
            per_entrance = max(1, -(-house.apartments // rng.randrange(2, 9)))
            per_floor = max(1, -(-per_entrance // floors))
            series = [("apartment", house.apartments), ("parking_space", house.parking), ("storage", house.storages)]
            for kind, amount in series:
                for k in range(1, amount + 1):
                    premise_id = _uid(K_PREMISE, partner_no, i)
                    if kind == "apartment":
                        entrance = str(1 + (k - 1) // per_entrance)
                        floor = 1 + (k - 1) % per_entrance // per_floor
                        rooms = rng.choice((1, 1, 2, 2, 2, 3, 3, 4))
                        total_cents = rng.randrange(2200, 4200) + rooms * rng.randrange(1400, 2200)
                        living = Decimal(total_cents * rng.randrange(50, 71) // 100).scaleb(-2)
                        ptype = "non_residential" if floor == 1 and k % 7 == 0 else "apartment"
                    else:
                        floor, entrance, rooms = (-1 if kind == "parking_space" else 0), None, None
                        total_cents = rng.randrange(1200, 1900) if kind == "parking_space" else rng.randrange(300, 900)
                        living, ptype = None, kind
                    tags = [rng.choice(PREMISE_TAGS)] if rng.random() < 0.03 else []
                    premises.append((premise_id, partner_id, object_id, ptype, house.street, house.house, entrance, floor,
                                     str(k), Decimal(total_cents).scaleb(-2), living, rooms, rng.random() < 0.95,
                                     tags, f"PRM-{i}"))
                    if samples is not None and i % step == 0 and ptype == "apartment":
                        samples["addresses"].append([house.street, house.house, str(k)])

                    # Owners, co-owners, residents depending on the owner, sometimes a tenant.
                    if i in special:
                        people = [(special[i], "owner", None)]
                    elif rng.random() < 0.93 and client_count > 0:
                        owner = next_client
                        people = [(owner, "owner", None)]
                        extra = (1 if rng.random() < 0.15 else 0, rng.choice((0, 0, 0, 1, 1, 2)),
                                 1 if rng.random() < 0.03 else 0)
                        for role, amount_of in zip(("owner", "resident", "tenant"), extra, strict=True):
                            for _ in range(amount_of):
                                next_client = next_client + 1 if next_client + 1 < client_count else (36 if partner_no == 0 else 0)
                                people.append((next_client, role, None if role == "owner" else owner))
                        next_client = next_client + 1 if next_client + 1 < client_count else (36 if partner_no == 0 else 0)
                    else:
                        people = []
                    seen: set[int] = set()
                    for client_index, role, depends_on in people:
                        if client_index in seen or client_index >= client_count:
                            continue
                        seen.add(client_index)
                        is_owner = role == "owner"
                        links.append((_uid(K_LINK, partner_no, link_no), partner_id, premise_id,
                                      _uid(K_CLIENT, partner_no, client_index), role,
                                      None if depends_on is None else _uid(K_CLIENT, partner_no, depends_on),
                                      f"ДДУ-{i}/{k}" if is_owner and rng.random() < 0.5 else None,
                                      date(2019, 1, 1) + timedelta(days=rng.randrange(2000)) if is_owner else None,
                                      Decimal("0.5") if is_owner and len(people) > 1 and people[1][1] == "owner" else None,
                                      rng.randrange(1, 29) if role == "tenant" else None))
                        link_no += 1
                    if ptype in ("apartment", "non_residential") and rng.random() < 0.75:
                        els = (f"{rng.randrange(100):02d}{rng.choice(UPPER_LETTERS)}{rng.choice(UPPER_LETTERS)}"
                               f"{rng.randrange(1_000_000):06d}") if rng.random() < 0.3 else None
                        accounts.append((_uid(K_PA, partner_no, i), partner_id, premise_id,
                                         f"{partner_no:02d}{i:08d}", "ООО «РИЦ»", els, f"LS-{i}"))
                    i += 1
                    if len(premises) >= CHUNK:
                        await flush()
        await flush()


CLIENT_COLUMNS = ("id", "partner_id", "type", "last_name", "first_name", "middle_name", "organization_name", "phone",
                  "email", "gender", "birth_date", "tags", "status", "is_tester")
ACCOUNT_COLUMNS = ("id", "phone", "type", "first_login_at", "last_visit_at")
SESSION_COLUMNS = ("id", "account_id", "app_id", "platform", "created_at", "last_activity_at")
PREMISE_COLUMNS = ("id", "partner_id", "object_id", "type", "street", "house", "entrance", "floor", "number",
                   "total_area", "living_area", "rooms", "online_payment", "tags", "external_id")
LINK_COLUMNS = ("id", "partner_id", "premise_id", "client_id", "role", "depends_on_client_id", "ddu_number",
                "ddu_date", "share", "rent_day")
PA_COLUMNS = ("id", "partner_id", "premise_id", "number", "legal_entity", "els", "external_id")


def _residents(premise_count: int, client_count: int) -> dict[int, tuple[int, list[int]]]:
    """Clients 0, 1 and 2 of the big partner own 1, 5 and 30 premises spread over the partner."""
    taken: set[int] = set()
    chosen: dict[int, tuple[int, list[int]]] = {}
    for client_index, size in enumerate(RESIDENT_SIZES):
        if client_index >= client_count:
            break
        indexes = []
        for k in range(size):
            candidate = (client_index + 1 + k * max(1, premise_count // size)) % max(1, premise_count)
            while candidate in taken and len(taken) < premise_count:
                candidate = (candidate + 1) % premise_count
            if candidate in taken:
                break
            taken.add(candidate)
            indexes.append(candidate)
        chosen[size] = (client_index, indexes)
    return chosen


def _special_owners(premise_count: int, client_count: int) -> dict[int, int]:
    return {i: client for client, indexes in _residents(premise_count, client_count).values() for i in indexes}


_WEIGHTS: dict[int, list[float]] = {}


def _pareto(values: tuple[str, ...], rng: random.Random) -> str:
    """Common names are common: Zipf-like weights, the first values of a vocabulary lead."""
    weights = _WEIGHTS.get(len(values))
    if weights is None:
        weights, running = [], 0.0
        for rank in range(len(values)):
            running += 1 / (rank + 1) ** 0.8
            weights.append(running)
        _WEIGHTS[len(values)] = weights
    return rng.choices(values, cum_weights=weights)[0]


def _feminine(surname: str) -> str:
    if surname.endswith(("ов", "ев", "ёв", "ин", "ын")):
        return surname + "а"
    if surname.endswith("ий"):
        return surname[:-2] + "ая"
    return surname


def params_from_env(argv: list[str] | None = None) -> dict:
    """Sizes from BENCH_* environment variables (or `--clients=N` style arguments)."""
    names = {"clients": "BENCH_CLIENTS", "premises": "BENCH_PREMISES", "small_partners": "BENCH_SMALL_PARTNERS",
             "small_clients": "BENCH_SMALL_CLIENTS", "small_premises": "BENCH_SMALL_PREMISES", "seed": "BENCH_SEED"}
    values: dict = {}
    for key, env in names.items():
        if os.environ.get(env, "").strip():
            values[key] = int(os.environ[env].replace("_", ""))
    for arg in argv or []:
        if arg.startswith("--") and "=" in arg:
            key, _, value = arg[2:].partition("=")
            key = key.replace("-", "_")
            if key in names:
                values[key] = int(value.replace("_", ""))
            elif key == "database":
                values["database"] = value
    if os.environ.get("BENCH_DATABASE", "").strip() and "database" not in values:
        values["database"] = os.environ["BENCH_DATABASE"].strip()
    if os.environ.get("BENCH_REBUILD", "").strip() in ("1", "true", "yes") or "--rebuild" in (argv or []):
        values["rebuild"] = True
    return values


def main(argv: list[str]) -> None:
    """`python -m bench dataset`: build (or reuse) the data set and say how long it took."""
    dataset = asyncio.run(build(**params_from_env(argv)))
    print(f"dataset: {dataset.database_url.split('@')[-1]} partner {dataset.partner_id}, "
          f"{'reused' if dataset.reused else 'built'}; residents with "
          + ", ".join(f"{k}: {len(v.premise_ids)}" for k, v in dataset.residents.items()) + " premises")
