"""What writes change (core/changes.py): the scopes a flushed row or a statement touches, the
listeners a runtime's sessions get for it, and the tests' check that every written table was announced."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.dml import UpdateBase

from core.changes import (CHANGES, EVERYONE, TABLE, UNAFFECTED, Changed, Scope, account, announce, client, partner,
                          premise)
from core.infra.db import after_commit
from core.models import Base, PersonalAccount

# Rows that decide which partners an account's screens read (bff/cache.py), by the column they are
# found by: writing one changes EVERYONE.
_FOUND_BY = {"client": "phone", "brand": "slug"}

# Rows only the residents of their premise see, by the column naming the premise. A link is one
# too while it keeps its premise and client; made, removed or moved, it changes who reaches which
# premise, which is looked up after the partner's generation is read: it changes the partner.
_PREMISE_COLUMN = {"premise": "id", "premise_link": "premise_id", "personal_account": "premise_id",
                   "meter": "premise_id", "document": "premise_id", "insurance": "premise_id"}

# Tables whose rows only their own account's screens read.
ACCOUNT_TABLES = frozenset({"device_session", "guest", "notification", "registration_request"})

# Tables no screen reads: writing them changes nothing a reader shows. Every other table counts,
# so a new table is covered until someone decides otherwise.
UNREAD_TABLES = frozenset({
    "activity", "api_key", "app_visit", "audit_record", "client_external_id", "client_phone_history", "idempotency_record",
    "import_job",
    "mailing", "mailing_recipient", "notification_settings_event", "order_counter", "push_delivery",
    "push_message", "refresh_token", "role", "sms_message", "staff",
})


def _values(state, name: str) -> set:
    """The values an attribute had and has in this flush."""
    history = state.attrs[name].history
    return {v for v in (*history.added, *history.unchanged, *history.deleted) if v is not None}


def object_changes(session: Session, obj) -> set[Changed]:
    """What a flushed object's write changed: nothing for a table no screen reads."""
    table = getattr(getattr(obj, "__table__", None), "name", None)
    if table in UNREAD_TABLES:
        return set()
    state = inspect(obj)
    columns = state.mapper.columns
    found_by = _FOUND_BY.get(table)
    if found_by and (obj in session.new or obj in session.deleted or state.attrs[found_by].history.has_changes()):
        return {EVERYONE}  # whose screens read its partner changes
    if table == "partner":
        return {partner(obj.id)}
    if table in ACCOUNT_TABLES:
        return {account(v) for v in _values(state, "account_id")} or {EVERYONE}
    if table == "client_order":
        # Requests and services are shown only to their client's account; events (and orders of
        # no client) to every resident of the partner (My Orders offers events when there are any).
        clients = _values(state, "client_id")
        found = {client(v) for v in clients}
        if not clients or "events" in _values(state, "kind"):
            found |= {partner(v) for v in _values(state, "partner_id")}
        return found or {EVERYONE}
    if table in _PREMISE_COLUMN:
        premises = _premises(session, state, obj, table)
        if premises:
            return {premise(v) for v in premises}
    if table == "bill":
        # A bill is its personal account's: the feed holds the account it checked (else: its partner).
        accounts = _values(state, "personal_account_id")
        held = session.identity_map.get(identity_key(PersonalAccount, *accounts)) if len(accounts) == 1 else None
        if held is not None:
            return {premise(held.premise_id)}
    if "partner_id" in columns:
        return {partner(v) for v in _values(state, "partner_id")} or {EVERYONE}
    return {EVERYONE}


def _premises(session: Session, state, obj, table: str) -> set:
    """The premises whose residents alone see this row's write; empty when that is not so."""
    if obj in session.deleted and table in ("premise", "premise_link"):
        return set()
    if table == "premise_link" and (obj in session.new or state.attrs.premise_id.history.has_changes()
                                    or state.attrs.client_id.history.has_changes()):
        return set()
    return _values(state, _PREMISE_COLUMN[table])


def statement_changes(statement, options) -> tuple[str | None, Iterable[Changed]]:
    """The table a statement run through a session writes (None: one it does not tell, a text
    statement without TABLE) and what it changed."""
    table = statement.table.name if isinstance(statement, UpdateBase) else options.get(TABLE)
    if options.get(UNAFFECTED):
        return table, ()
    declared = options.get(CHANGES)
    if declared is not None:
        return table, declared
    if table is None or table in UNREAD_TABLES or not isinstance(statement, UpdateBase):
        return table, ()
    return table, (EVERYONE,)


def track(session_class: type[Session]) -> None:
    """What the sessions of `session_class` write is announced (ORM flushes, Core and declared text
    statements) and published as renewed generations once their transaction commits; a
    transaction rolled back publishes nothing."""

    @event.listens_for(session_class, "after_flush")
    def flushed(session: Session, flush_context) -> None:  # noqa: ARG001
        written = session.info.setdefault("written", set())
        found: set[Changed] = set()
        for obj in (*session.new, *session.dirty, *session.deleted):
            written.add(obj.__table__.name)
            found |= object_changes(session, obj)
        if found:
            announce(session, *found)

    @event.listens_for(session_class, "do_orm_execute")
    def executed(state: ORMExecuteState) -> None:
        if state.is_select:
            return
        table, found = statement_changes(state.statement, state.execution_options)
        if table is not None:
            state.session.info.setdefault("written", set()).add(table)
        if found:
            announce(state.session, *found)

    @event.listens_for(session_class, "after_commit")
    def committed(session: Session) -> None:
        info = session.info
        info.pop("written", None)
        found = info.pop("changes", None)
        generations = info.get("generations")
        if found and generations is not None:
            keys = {record.key for record in found}
            after_commit(session, lambda: generations.renew(keys))

    @event.listens_for(session_class, "after_transaction_end")
    def ended(session: Session, transaction) -> None:
        if transaction.parent is None:  # the session's own transaction, rolled back (a commit took them)
            session.info.pop("changes", None)
            session.info.pop("written", None)


class UnannouncedWrite(AssertionError):
    """A transaction wrote a table screens read without announcing what it changed."""


# The rows this transaction has written so far, per table of the schema (PostgreSQL's own counts,
# rolled-back savepoints included).
_WRITTEN_ROWS = text("""
SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables
WHERE schemaname = current_schema() AND n_tup_ins + n_tup_upd + n_tup_del > 0""")


def _cascades() -> dict[str, set[str]]:
    """The tables a table's deletes reach through foreign keys (ON DELETE CASCADE or SET NULL)."""
    reached: dict[str, set[str]] = {}
    for table in Base.metadata.tables.values():
        for key in table.foreign_keys:
            if (key.ondelete or "").upper() in ("CASCADE", "SET NULL"):
                reached.setdefault(key.column.table.name, set()).add(table.name)
    return reached


def unannounced(written: dict[str, int], covered: set[str]) -> set[str]:
    """The tables of `written` (rows per table) no announcement covers: neither named by one, nor
    read by no screen, nor reached only by the cascade of a covered table's deletes."""
    reached = set(covered)
    cascades = _cascades()
    pending = list(covered)
    while pending:
        for child in cascades.get(pending.pop(), ()):
            if child not in reached:
                reached.add(child)
                pending.append(child)
    return set(written) - reached - UNREAD_TABLES


def verify(session_class: type[Session]) -> None:
    """Under APP_ENV=test: each commit of the sessions of `session_class` first checks, from
    PostgreSQL's counts of the rows this transaction wrote, that every table it wrote was announced
    (track), and fails with UnannouncedWrite otherwise: a write path that forgot to announce is
    caught by the tests, not by residents looking at a stale screen. Must follow `track`."""

    @event.listens_for(session_class, "after_begin")
    def began(session: Session, transaction, connection) -> None:  # noqa: ARG001
        # Counted from where the session began: it may join an outer transaction (the tests'
        # savepoints), and since PostgreSQL 15 the counts also hold earlier transactions' of the
        # same connection until the backend reports them, between transactions.
        session.info["rows_before"] = dict(connection.execute(_WRITTEN_ROWS).all())

    @event.listens_for(session_class, "after_transaction_end")
    def ended(session: Session, transaction) -> None:
        if transaction.parent is None:
            session.info.pop("rows_before", None)

    @event.listens_for(session_class, "before_commit")
    def check(session: Session) -> None:
        before = session.info.pop("rows_before", None)
        if before is None:
            return  # nothing ran: no connection was begun
        rows = session.connection().execute(_WRITTEN_ROWS).all()
        written = {table: count for table, count in rows if count > before.get(table, 0)}
        missing = unannounced(written, session.info.get("written", set()))
        if missing:
            raise UnannouncedWrite(
                f"this transaction wrote {', '.join(sorted(missing))} without announcing what changed: a text "
                "statement needs execution_options=changes(..., table=...), or announce() beside it "
                "(core/changes.py); a table no screen reads belongs in core/writes.py UNREAD_TABLES")
