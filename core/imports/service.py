"""Import through the API (SPEC section 3): per partner, per item, idempotent.

A batch runs in one transaction, each item in a savepoint of its own, so one bad item never
rolls back its neighbours. Before touching anything the batch takes advisory locks on the
phones and external ids it names, always in the same order, so overlapping imports running at
once wait for each other instead of deadlocking or creating the same client twice."""

from __future__ import annotations

import logging
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta
from sqlalchemy import delete, insert, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clients import rules as client_rules
from core.clients.merge import merge_clients
from core.infra.db import commit
from core.errors import DomainError, InvalidInput, PermissionDenied
from core.estate.premises import apply_fields as apply_premise_fields
from core.estate.premises import own_object
from core.estate import repository as estate
from core.imports import repository
from core.imports.rules import Action, Card, Facts, decide
from core.models import Client, ClientExternalId, ClientPhoneHistory, PersonalAccount, Premise, PremiseLink
from core.partners.service import PartnerPrincipal
from core.phones import normalize_phone
from core.infra.runtime import Runtime
from core.changes import scoped

log = logging.getLogger(__name__)
MAX_BATCH = 1000
RETRIES = 3
LOCK_BUCKETS = 4096
STATUS = {Action.UPDATE: "updated", Action.UPDATE_WITH_PHONE: "updated", Action.MERGE: "merged",
          Action.ADD_EXTERNAL_ID: "external_id_added", Action.CREATE: "created"}

Name = Annotated[str, Meta(min_length=1, max_length=100)]
ExternalId = Annotated[str, Meta(min_length=1, max_length=200)]


class ClientItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    external_id: ExternalId
    phone: Annotated[str, Meta(min_length=1, max_length=32)]
    last_name: Name | None = None
    first_name: Name | None = None
    middle_name: Name | None = None
    external_id_note: Annotated[str, Meta(max_length=500)] | None = None
    type: Literal["individual", "sole_proprietor", "legal_entity", "foreign_branch"] | None = None
    organization_name: Annotated[str, Meta(max_length=300)] | None = None
    email: Annotated[str, Meta(max_length=320, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    gender: Literal["male", "female"] | None = None
    birth_date: date | None = None
    inn: Annotated[str, Meta(max_length=12)] | None = None
    snils: Annotated[str, Meta(max_length=14)] | None = None
    loyalty_card: Annotated[str, Meta(max_length=50)] | None = None
    registration_address: Annotated[str, Meta(max_length=500)] | None = None


class PremiseClientItem(ClientItem, kw_only=True, forbid_unknown_fields=True):
    role: Literal["owner", "resident", "representative", "tenant", "unconfirmed_owner"]
    share: Annotated[str, Meta(max_length=20)] | None = None
    rent_day: Annotated[int, Meta(ge=1, le=31)] | None = None


class AccountItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    external_id: ExternalId
    number: Annotated[str, Meta(min_length=1, max_length=100)]
    legal_entity: Annotated[str, Meta(max_length=300)] | None = None
    els: Annotated[str, Meta(max_length=20)] | None = None
    hidden_in_app: bool | None = None


class PremiseItem(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    external_id: ExternalId
    object_id: Annotated[str, Meta(min_length=1, max_length=64)]
    type: Literal["apartment", "parking_space", "storage", "apartments", "non_residential", "house", "townhouse",
                  "duplex", "room", "land"]
    street: Annotated[str, Meta(min_length=1, max_length=300)]
    house: Annotated[str, Meta(min_length=1, max_length=50)]
    number: Annotated[str, Meta(min_length=1, max_length=50)]
    building: Annotated[str, Meta(max_length=50)] | None = None
    entrance: Annotated[str, Meta(max_length=20)] | None = None
    floor: Annotated[int, Meta(ge=-20, le=500)] | None = None
    total_area: Annotated[str, Meta(max_length=20)] | float | None = None
    living_area: Annotated[str, Meta(max_length=20)] | float | None = None
    rooms: Annotated[int, Meta(ge=0, le=100)] | None = None
    online_payment: bool | None = None
    tags: Annotated[list[Annotated[str, Meta(max_length=50)]], Meta(max_length=50)] | None = None
    accounts: Annotated[list[AccountItem], Meta(max_length=50)] = []
    # IMPORT-06: None (the key absent) says nothing about the premise's people; [] removes its owners.
    clients: Annotated[list[PremiseClientItem], Meta(max_length=100)] | None = None


@dataclass(slots=True)
class ItemResult:
    index: int
    status: str
    client_id: uuid.UUID | None = None
    premise_id: uuid.UUID | None = None
    code: str | None = None
    detail: str | None = None
    errors: list[dict[str, str]] = field(default_factory=list)
    clients: list["ItemResult"] = field(default_factory=list)
    # Which of a premise item's clients an error is about (IMPORT-06: the detail stays verbatim).
    client_index: int | None = None
    client_external_id: str | None = None


CLIENTS_EDIT = "clients.edit"


def _refused(index: int) -> ItemResult:
    """STAFF-01: the client part of an import needs `clients.edit`."""
    denied = PermissionDenied.lacking(CLIENTS_EDIT)
    return ItemResult(index, "error", code=denied.code, detail=denied.detail)


def parse_items(raw_items: list[Any], kind: type) -> list[tuple[int, Any]]:
    """Validate each item on its own: a malformed item is an error result, not a failed batch."""
    parsed = []
    for index, raw in enumerate(raw_items):
        try:
            parsed.append((index, msgspec.convert(raw, kind, strict=False)))
        except msgspec.ValidationError as exc:
            parsed.append((index, exc))
    return parsed


def _error(index: int, exc: Exception) -> ItemResult:
    if isinstance(exc, msgspec.ValidationError):
        message = str(exc)
        field_name = message.rsplit("$.", 1)[-1].rstrip("`") if "$." in message else "item"
        return ItemResult(index, "error", code="validation_error", detail=message,
                          errors=[{"field": field_name, "message": message.split(" - ")[0]}])
    if isinstance(exc, DomainError):
        return ItemResult(index, "error", code=exc.code, detail=exc.detail,
                          errors=[{"field": e.field, "message": e.message} for e in getattr(exc, "errors", [])])
    return ItemResult(index, "error", code="conflict", detail="Данные изменились одновременно с импортом; повторите")


def _bucket(partner_id: uuid.UUID, key: str) -> int:
    return zlib.crc32(f"{partner_id}:{key}".encode()) % LOCK_BUCKETS


async def _lock(db: AsyncSession, partner_id: uuid.UUID, keys: set[str]) -> None:
    buckets = sorted({_bucket(partner_id, k) for k in keys})
    space = zlib.crc32(partner_id.bytes) & 0x7FFFFFFF
    if buckets:
        await db.execute(text("SELECT pg_advisory_xact_lock(:space, b) FROM unnest(CAST(:buckets AS int[])) AS b"),
                         {"space": space, "buckets": buckets})


async def _run(rt: Runtime, partner_id: uuid.UUID, keys: set[str], work) -> list[ItemResult]:
    """Run a batch in a transaction of its own, again from scratch on a deadlock or a
    serialization failure (the batch is idempotent, so a retry is safe)."""
    for attempt in range(1, RETRIES + 1):
        async with rt.sessionmaker() as db:
            try:
                await _lock(db, partner_id, keys)
                results = await work(db)
                await commit(db)
                return results
            except DBAPIError as exc:
                await db.rollback()
                code = getattr(getattr(exc.orig, "__cause__", None), "sqlstate", None) or getattr(exc.orig, "sqlstate", None)
                if code in ("40P01", "40001") and attempt < RETRIES:
                    log.warning("import batch retried after %s (attempt %d)", code, attempt)
                    continue
                raise
    raise AssertionError("unreachable")


# --- clients -------------------------------------------------------------------------------------

CLIENT_FIELDS = ("last_name", "first_name", "middle_name", "type", "organization_name", "email", "gender",
                 "birth_date", "inn", "snils", "loyalty_card", "registration_address")


def _fields(item: ClientItem, today: date) -> dict[str, Any]:
    """The passed fields, validated like the CRM's own forms."""
    passed = {name: getattr(item, name) for name in CLIENT_FIELDS if getattr(item, name) is not None}
    return client_rules.client_fields(passed, today)


def _overwrite(client: Client, passed: dict[str, Any]) -> None:
    # Only real differences are written, so a repeated batch changes nothing (not even updated_at).
    for name, value in passed.items():
        if getattr(client, name) != value:
            setattr(client, name, value)


class _Refused(DomainError):
    """An item refused by an import rule: its code goes to the item's result, never to a problem answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _client_keys(item: ClientItem) -> set[str]:
    keys = {f"x:{item.external_id}"}
    try:
        keys.add(f"p:{normalize_phone(item.phone)}")
    except InvalidInput:
        pass
    return keys


async def import_clients(rt: Runtime, actor: PartnerPrincipal, raw_items: list[Any]) -> list[ItemResult]:
    """IMPORT-01..05 for a batch of clients. The whole batch is first tried on a fast path — the
    facts of every item fetched in a handful of queries, the decisions made in memory, the
    writes flushed together — inside one savepoint; if the database refuses that flush (a
    concurrent change), the batch is done again item by item, each in a savepoint of its own."""
    if len(raw_items) > MAX_BATCH:
        raise InvalidInput.field("items", f"Не больше {MAX_BATCH} элементов в одном запросе")
    if not actor.can(CLIENTS_EDIT):
        # A file job of a staff member who lost the permission after uploading (STAFF-01).
        return [_refused(index) for index in range(len(raw_items))]
    parsed = parse_items(raw_items, ClientItem)
    today = rt.clock.now().date()
    keys = set().union(*[_client_keys(item) for _, item in parsed if isinstance(item, ClientItem)])

    async def work(db: AsyncSession) -> list[ItemResult]:
        try:
            async with db.begin_nested():
                return await _whole_batch(db, actor, parsed, today)
        except (IntegrityError, _NeedsItemPath):
            log.info("client import batch falls back to item by item")
        return await _item_by_item(db, actor, parsed, today)

    return await _run(rt, actor.partner_id, keys, work)


class _NeedsItemPath(Exception):
    """The fast path met a case it leaves to the item-by-item path."""


def _result(index: int, outcome: tuple[str, Client] | Exception) -> ItemResult:
    if isinstance(outcome, Exception):
        return _error(index, outcome)
    status, client = outcome
    return ItemResult(index, status, client_id=client.id)


async def _whole_batch(db: AsyncSession, actor: PartnerPrincipal, parsed, today: date) -> list[ItemResult]:
    """The fast path: every item of the batch through the applier at once."""
    outcomes = await apply_clients(db, actor, parsed, today)
    return [_result(index, outcomes[index]) for index, _ in parsed]


async def _item_by_item(db: AsyncSession, actor: PartnerPrincipal, parsed, today: date) -> list[ItemResult]:
    """The careful path: each item through the same applier in a savepoint of its own."""
    results = []
    for index, item in parsed:
        try:
            async with db.begin_nested():
                outcome = (await apply_clients(db, actor, [(index, item)], today))[index]
            results.append(_result(index, outcome))  # a refused item wrote nothing
        except (DomainError, IntegrityError) as exc:
            results.append(_error(index, exc))
    return results


async def apply_clients(db: AsyncSession, actor: PartnerPrincipal, parsed: list[tuple[int, Any]],
                        today: date) -> dict[int, tuple[str, Client] | Exception]:
    """IMPORT-01..05, the one applier of client items (batches, files and a premise's clients): the
    facts of every item fetched in a handful of queries, each decision made by
    `core.imports.rules.decide` in item order (later items see the cards earlier ones made), the
    writes flushed together. Each item's outcome is its (status, card), or the error that refused
    it. Raises _NeedsItemPath for a merge or phone change of a card made earlier in the same
    call, which the caller redoes item by item."""
    partner_id = actor.partner_id
    results: dict[int, tuple[str, Client] | Exception] = {}
    prepared = []
    for index, item in parsed:
        if not isinstance(item, ClientItem):
            results[index] = item
            continue
        try:
            prepared.append((index, item, normalize_phone(item.phone), _fields(item, today)))
        except DomainError as exc:
            results[index] = exc
    values = [item.external_id for _, item, _, _ in prepared]
    phones = {phone for _, _, phone, _ in prepared}
    external = {row.value: (row.client_id, row.note)
                for row in await repository.external_ids(db, partner_id, values)}
    ids = {client_id for client_id, _ in external.values()}
    clients = {c.id: c for c in await repository.cards(db, partner_id, ids, phones)}
    by_phone = {c.phone: c for c in clients.values() if c.phone}
    known = phones | set(by_phone)
    logged_in = await repository.logged_in_phones(db, known)
    elsewhere = await repository.phones_elsewhere(db, partner_id, known)
    history: dict[str, set[uuid.UUID]] = {}
    for phone, client_id in await repository.phone_history(db, partner_id, phones):
        history.setdefault(phone, set()).add(client_id)

    def card(client: Client | None) -> Card | None:
        if client is None:
            return None
        return Card(id=client.id, phone=client.phone, logged_in=client.phone in logged_in,
                    in_other_partners=client.phone in elsewhere)

    # New cards are written with one multi-row INSERT each for clients and external ids (the unit
    # of work would insert them one by one to read back their server defaults).
    new_clients: list[Client] = []
    new_ids: set[uuid.UUID] = set()  # a set beside the list: `in new_clients` per item was quadratic
    new_external: list[dict[str, Any]] = []

    async def write_new() -> None:
        if new_clients:
            await db.execute(insert(Client), [{name: getattr(c, name) for name in NEW_CLIENT_COLUMNS}
                                              for c in new_clients])
        if new_external:
            await db.execute(insert(ClientExternalId), new_external)
        new_clients.clear()
        new_external.clear()

    for index, item, phone, passed in prepared:
        found = external.get(item.external_id)
        c = clients.get(found[0]) if found else None
        d = by_phone.get(phone)
        held_before = bool(c is not None and c.phone != phone and history.get(phone, set()) - {c.id})
        decision = decide(Facts(card(c), card(d), held_before))
        if decision.action is Action.REFUSE:
            results[index] = _Refused(decision.code, decision.message)
            continue
        target = {Action.CREATE: None, Action.ADD_EXTERNAL_ID: d, Action.MERGE: d}.get(decision.action, c)
        named = any(passed.get(n) or (target is not None and getattr(target, n))
                    for n in ("last_name", "first_name", "organization_name"))
        if not named:
            results[index] = InvalidInput.field("first_name", "Укажите имя или фамилию")
            continue
        if decision.action is Action.CREATE:
            client = Client(id=uuid.uuid4(), partner_id=partner_id, phone=phone, status="active", type="individual",
                            tags=[], is_tester=False)
            _overwrite(client, passed)
            new_clients.append(client)
            new_ids.add(client.id)
            new_external.append({"id": uuid.uuid4(), "partner_id": partner_id, "client_id": client.id,
                                 "value": item.external_id, "note": item.external_id_note})
            clients[client.id] = by_phone[phone] = client
            external[item.external_id] = (client.id, item.external_id_note)
        elif decision.action is Action.ADD_EXTERNAL_ID:
            client = d
            _overwrite(client, passed)
            new_external.append({"id": uuid.uuid4(), "partner_id": partner_id, "client_id": client.id,
                                 "value": item.external_id, "note": item.external_id_note})
            external[item.external_id] = (client.id, item.external_id_note)
        elif decision.action is Action.MERGE:
            if c.id in new_ids or d.id in new_ids:
                raise _NeedsItemPath  # a card created earlier in this very batch: rare, done the careful way
            client = await merge_clients(db, actor, absorbed=c, survivor=d, reason="import")
            _overwrite(client, passed)
            clients.pop(c.id, None)
            for value, (owner, note) in list(external.items()):
                if owner == c.id:
                    external[value] = (d.id, note)
        else:
            client = c
            if client.id in new_ids and (decision.action is Action.UPDATE_WITH_PHONE
                                          or item.external_id_note != external[item.external_id][1]):
                raise _NeedsItemPath
            if decision.action is Action.UPDATE_WITH_PHONE:
                db.add(ClientPhoneHistory(partner_id=partner_id, client_id=client.id, phone=client.phone))
                history.setdefault(client.phone, set()).add(client.id)
                by_phone.pop(client.phone, None)
                by_phone[phone] = client
                client.phone = phone
            _overwrite(client, passed)
            if item.external_id_note is not None and found and found[1] != item.external_id_note:
                await db.execute(update(ClientExternalId).where(
                    ClientExternalId.partner_id == partner_id, ClientExternalId.value == item.external_id)
                    .values(note=item.external_id_note))
        results[index] = (STATUS[decision.action], client)
    await write_new()
    await db.flush()
    return results


NEW_CLIENT_COLUMNS = ("id", "partner_id", "phone", "status", "type", "tags", "is_tester", *CLIENT_FIELDS)


# --- premises ------------------------------------------------------------------------------------

OWNER_ROLES = ("owner", "unconfirmed_owner")


async def _upsert_premise(db: AsyncSession, actor: PartnerPrincipal, item: PremiseItem) -> tuple[str, Premise]:
    try:
        object_id = uuid.UUID(item.object_id)
    except ValueError:
        raise InvalidInput.field("object_id", "Объект не найден у этого партнёра") from None
    await own_object(db, actor, object_id, "object_id")
    premise = await estate.by_external_id(db, Premise, actor.partner_id, item.external_id)
    status = "updated"
    if premise is None:
        premise = Premise(partner_id=actor.partner_id, object_id=object_id, external_id=item.external_id, floor=0,
                          online_payment=True, tags=[])
        db.add(premise)
        status = "created"
    elif premise.object_id != object_id:
        premise.object_id = object_id
    changes = {name: getattr(item, name) for name in ("type", "street", "house", "number", "building", "entrance",
                                                      "floor", "rooms", "online_payment", "tags")
               if getattr(item, name) is not None}
    from decimal import Decimal, InvalidOperation

    for name in ("total_area", "living_area"):
        value = getattr(item, name)
        if value is not None:
            try:
                changes[name] = Decimal(str(value)).quantize(Decimal("0.01"))
            except InvalidOperation:
                raise InvalidInput.field(name, "Некорректная площадь") from None
    # Compare before writing, so an unchanged premise is not touched.
    probe = {k: v for k, v in changes.items() if getattr(premise, k, None) != v}
    if probe:
        apply_premise_fields(premise, probe)
    await db.flush()
    return status, premise


async def _upsert_accounts(db: AsyncSession, actor: PartnerPrincipal, premise: Premise, items: list[AccountItem]) -> None:
    """IMPORT-07: personal accounts upserted by external id within the partner."""
    for item in items:
        account = await estate.by_external_id(db, PersonalAccount, actor.partner_id, item.external_id)
        if account is None:
            account = PersonalAccount(partner_id=actor.partner_id, premise_id=premise.id,
                                      external_id=item.external_id, number=item.number, hidden_in_app=False)
            db.add(account)
        values = {"premise_id": premise.id, "number": item.number, "legal_entity": item.legal_entity,
                  "els": client_rules.els(item.els, "accounts.els")}
        if item.hidden_in_app is not None:
            values["hidden_in_app"] = item.hidden_in_app
        for name, value in values.items():
            if getattr(account, name) != value:
                setattr(account, name, value)
    await db.flush()


async def _replace_links(db: AsyncSession, actor: PartnerPrincipal, premise: Premise,
                         passed: list[tuple[PremiseClientItem, Client]]) -> None:
    """IMPORT-06: owners are replaced as a set; the people who depended on a removed owner go
    with them; links marked keep_on_integration are never removed by integration."""
    owners = [client.id for item, client in passed if item.role in OWNER_ROLES]
    # Only called for an item that carries `clients`: an item without the key leaves every link.
    existing = {link.client_id: link for link in await estate.links_of_premise(db, premise.id)}
    removed_owners = [cid for cid, link in existing.items()
                      if link.role in OWNER_ROLES and cid not in owners and not link.keep_on_integration]
    if removed_owners:
        await db.execute(delete(PremiseLink).where(
            PremiseLink.premise_id == premise.id, PremiseLink.keep_on_integration.is_(False),
            (PremiseLink.client_id.in_(removed_owners)) | (PremiseLink.depends_on_client_id.in_(removed_owners))),
            execution_options=scoped(partner=premise.partner_id))
        existing = {cid: link for cid, link in existing.items()
                    if not (link.keep_on_integration is False and (cid in removed_owners
                                                                   or link.depends_on_client_id in removed_owners))}
    current_owners = owners or [cid for cid, link in existing.items() if link.role in OWNER_ROLES]
    for client_index, (item, client) in enumerate(passed):
        depends_on = None
        # An owner and an unconfirmed owner depend on nobody (SPEC section 2, PremiseLink).
        if item.role not in OWNER_ROLES:
            candidates = [o for o in current_owners if o != client.id]
            if not candidates:
                raise _ClientFailed(client_index, InvalidInput.field(
                    "clients.role", "Для жителя, арендатора или представителя нужен собственник"))
            depends_on = candidates[0]
        if item.role == "tenant" and item.rent_day is None:
            raise _ClientFailed(client_index, InvalidInput.field(
                "clients.rent_day", "Для арендатора укажите день оплаты аренды"))
        values = {"role": item.role, "depends_on_client_id": depends_on,
                  "rent_day": item.rent_day if item.role == "tenant" else None}
        if item.share is not None:
            from decimal import Decimal

            values["share"] = Decimal(item.share)
        link = existing.get(client.id)
        if link is None:
            link = PremiseLink(partner_id=actor.partner_id, premise_id=premise.id, client_id=client.id,
                               online_payment=True, keep_on_integration=False, **values)
            db.add(link)
            existing[client.id] = link
        else:
            for name, value in values.items():
                if getattr(link, name) != value:
                    setattr(link, name, value)
    await db.flush()


def _premise_keys(item: PremiseItem) -> set[str]:
    keys = {f"premise:{item.external_id}"} | {f"account:{a.external_id}" for a in item.accounts}
    for client in item.clients or ():
        keys |= _client_keys(client)
    return keys


async def import_premises(rt: Runtime, actor: PartnerPrincipal, raw_items: list[Any]) -> list[ItemResult]:
    """IMPORT-06/07: premises with their personal accounts and clients, upserted by external id."""
    if len(raw_items) > MAX_BATCH:
        raise InvalidInput.field("items", f"Не больше {MAX_BATCH} элементов в одном запросе")
    parsed = parse_items(raw_items, PremiseItem)
    today = rt.clock.now().date()
    may_edit_clients = actor.can(CLIENTS_EDIT)
    keys = set().union(*[_premise_keys(item) for _, item in parsed if isinstance(item, PremiseItem)])

    async def work(db: AsyncSession) -> list[ItemResult]:
        results = []
        for index, item in parsed:
            if not isinstance(item, PremiseItem):
                results.append(_error(index, item))
                continue
            try:
                async with db.begin_nested():
                    status, premise = await _upsert_premise(db, actor, item)
                    await _upsert_accounts(db, actor, premise, item.accounts)
                    passed, client_results = [], []
                    if item.clients is not None and may_edit_clients:
                        for client_index, client_item in enumerate(item.clients):
                            outcome = (await apply_clients(db, actor, [(client_index, client_item)], today))[client_index]
                            if isinstance(outcome, Exception):
                                raise _ClientFailed(client_index, outcome)
                            client_status, client = outcome
                            passed.append((client_item, client))
                            client_results.append(ItemResult(client_index, client_status, client_id=client.id))
                        await _replace_links(db, actor, premise, passed)
                result = ItemResult(index, status, premise_id=premise.id, clients=client_results)
                if item.clients is not None and not may_edit_clients:
                    # STAFF-01: the premise and its accounts are imported; its people are not touched.
                    refused = _refused(index)
                    result.code, result.detail = refused.code, refused.detail
                    result.clients = [_refused(i) for i in range(len(item.clients))]
                results.append(result)
            except _ClientFailed as exc:
                result = _error(index, exc.cause)
                result.client_index = exc.index
                result.client_external_id = item.clients[exc.index].external_id
                results.append(result)
            except (DomainError, IntegrityError) as exc:
                results.append(_error(index, exc))
        return results

    return await _run(rt, actor.partner_id, keys, work)


class _ClientFailed(Exception):
    def __init__(self, index: int, cause: DomainError) -> None:
        super().__init__(cause.detail)
        self.index, self.cause = index, cause
