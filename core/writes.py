"""What writes change (core/changes.py): the scopes a flushed row or a statement touches, the
listeners a runtime's sessions get for it, and the tests' check that every written table was announced."""

from __future__ import annotations

import functools
from collections.abc import Iterable

from sqlalchemy import event, inspect, text
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.orm.util import identity_key
from sqlalchemy.sql.dml import UpdateBase

from core.changes import (CHANGES, EVERYONE, TABLE, UNAFFECTED, Changed, account, announce, client, partner,
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
    "activity", "api_key", "app_visit", "audit_record", "client_app_use", "client_external_id",
    "client_phone_history", "idempotency_record", "import_job", "mailing", "mailing_recipient",
    "notification_settings_event", "order_counter", "push_delivery", "push_message", "refresh_token", "role",
    "sms_message", "staff",
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
        if session.in_nested_transaction():
            return  # a savepoint released: the transaction goes on
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


# The rows this transaction has written and deleted so far, per table of the schema (PostgreSQL's
# own counts, rolled-back savepoints included).
_WRITTEN_ROWS = text("""
SELECT relname, n_tup_ins + n_tup_upd + n_tup_del, n_tup_del FROM pg_stat_xact_user_tables
WHERE schemaname = current_schema() AND n_tup_ins + n_tup_upd + n_tup_del > 0""")


@functools.cache
def _cascades() -> dict[str, set[str]]:
    """The tables a table's deletes reach through foreign keys (ON DELETE CASCADE or SET NULL),
    read from the schema once."""
    reached: dict[str, set[str]] = {}
    for table in Base.metadata.tables.values():
        for key in table.foreign_keys:
            if (key.ondelete or "").upper() in ("CASCADE", "SET NULL"):
                reached.setdefault(key.column.table.name, set()).add(table.name)
    return reached


def unannounced(written: set[str], deleted: set[str], covered: set[str]) -> set[str]:
    """The tables of `written` no announcement covers: neither named by one (`covered`), nor read
    by no screen, nor reached by the foreign keys' cascades from a covered table it `deleted` from
    (a premise's delete removes its links: the premise's announcement speaks for them)."""
    reached = set(covered)
    cascades = _cascades()
    pending = [table for table in covered if table in deleted]
    while pending:
        for child in cascades.get(pending.pop(), ()):
            if child not in reached:
                reached.add(child)
                if child in deleted:
                    pending.append(child)
    return written - reached - UNREAD_TABLES


def _rows(connection) -> dict[str, tuple[int, int]]:
    """(rows written, rows deleted) per table, in the connection's transaction so far."""
    return {table: (count, deleted) for table, count, deleted in connection.execute(_WRITTEN_ROWS)}


def _grown(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]) -> tuple[set[str], set[str]]:
    """The tables rows were written to, and deleted from, between two counts."""
    written = {table for table, (count, _) in after.items() if count > before.get(table, (0, 0))[0]}
    deleted = {table for table, (_, count) in after.items() if count > before.get(table, (0, 0))[1]}
    return written, deleted


def _refuse(missing: set[str], what: str) -> None:
    if missing:
        raise UnannouncedWrite(
            f"{what} wrote {', '.join(sorted(missing))} without announcing what changed: a text statement "
            "needs execution_options=changes(..., table=...) (core/changes.py); a table no screen reads "
            "belongs in core/writes.py UNREAD_TABLES")


def verify(session_class: type[Session]) -> None:
    """Under APP_ENV=test, a write that announces nothing is refused with UnannouncedWrite, so a
    write path that forgot to announce is caught by the tests, not by residents looking at a stale
    screen; PostgreSQL's own counts of the rows a transaction wrote (pg_stat_xact_user_tables) tell
    what was written. Every statement the session cannot read its table from (text) is counted
    around its run: it may write only the table it names and tables no screen reads. And a
    transaction on a connection of its own is counted from its start to its commit, which must find
    every table written covered by what was announced (this also sees writes that bypassed the
    session's statements); where sessions share one connection (the tests' savepoints) the counts
    cannot tell them apart, and the statements' counts alone apply. Must follow `track`."""

    @event.listens_for(session_class, "do_orm_execute")
    def counted(state: ORMExecuteState):
        if state.is_select or isinstance(state.statement, UpdateBase):
            return None
        connection = state.session.connection()
        before = _rows(connection)
        result = state.invoke_statement()
        written, _ = _grown(before, _rows(connection))
        _refuse(written - {state.execution_options.get(TABLE)} - UNREAD_TABLES, "a statement")
        return result

    @event.listens_for(session_class, "after_begin")
    def began(session: Session, transaction, connection) -> None:  # noqa: ARG001
        # Counted from the start: since PostgreSQL 15 the counts also hold earlier transactions'
        # of the same connection until the backend reports them, between transactions.
        if not connection.in_nested_transaction():
            session.info["rows_before"] = _rows(connection)

    @event.listens_for(session_class, "after_transaction_end")
    def ended(session: Session, transaction) -> None:
        if transaction.parent is None:
            session.info.pop("rows_before", None)

    @event.listens_for(session_class, "before_commit")
    def check(session: Session) -> None:
        if session.in_nested_transaction():
            return
        before = session.info.pop("rows_before", None)
        if before is None:
            return  # no connection of its own was begun
        written, deleted = _grown(before, _rows(session.connection()))
        _refuse(unannounced(written, deleted, session.info.get("written", set())), "this transaction")
