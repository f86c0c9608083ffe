"""What a transaction changed, as the domain announces it: typed records of the scopes of data a
write touched, collected by the session and published once it commits (core/writes.py)."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session


class Scope(enum.Enum):
    """How far a change reaches (README.md, "The screen cache")."""

    EVERYONE = "generation"   # what does not tell its scope
    PARTNER = "partner"       # one partner's data beyond the narrower scopes
    ACCOUNT = "account"       # one account's own rows
    CLIENT = "client"         # one client card's requests and services
    PREMISE = "premise"       # what only one premise's residents see


_PREFIX = {scope: f"screens:{scope.value}:" for scope in Scope}


@dataclass(frozen=True, slots=True)
class Changed:
    """Data of `scope` (of the partner, account, client card or premise `id`) changed."""

    scope: Scope
    id: uuid.UUID | str | None = None

    @property
    def key(self) -> str:
        """Its generation's key in Redis (core/infra/generations.py). Keys keep the `screens:`
        prefix they were born with, so answers cached before a deploy stay checkable."""
        if self.scope is Scope.EVERYONE:
            return "screens:generation"
        return _PREFIX[self.scope] + str(self.id)


EVERYONE = Changed(Scope.EVERYONE)


def partner(partner_id) -> Changed:
    return Changed(Scope.PARTNER, partner_id)


def account(account_id) -> Changed:
    return Changed(Scope.ACCOUNT, account_id)


def client(client_id) -> Changed:
    return Changed(Scope.CLIENT, client_id)


def premise(premise_id) -> Changed:
    return Changed(Scope.PREMISE, premise_id)


# Execution options of a statement run through a session: CHANGES (what it changed; empty: no data
# any reader shows) and TABLE (what it writes, for a text statement, whose table the session does
# not read from it). A Core statement without CHANGES changes EVERYONE unless no screen reads its
# table; a text statement without them announces nothing, which the tests' check refuses.
CHANGES = "changes"
TABLE = "written_table"
# A statement that writes nothing any reader shows (the per-request "last seen" stamps).
UNAFFECTED = "unaffected"


def changes(*records: Changed, table: str | None = None) -> dict:
    """Execution options announcing what a statement changed (`table`: the table a text statement
    writes)."""
    options: dict = {CHANGES: frozenset(records)}
    if table is not None:
        options[TABLE] = table
    return options


def scoped(*, account=None, partner=None) -> dict:
    """Execution options of a DML statement that writes only this account's or partner's data."""
    records = []
    if account is not None:
        records.append(Changed(Scope.ACCOUNT, account))
    if partner is not None:
        records.append(Changed(Scope.PARTNER, partner))
    return changes(*records)


def announce(session: Session, *records: Changed) -> None:
    """Record that this transaction changed `records`; they are published once it commits. Takes
    the ORM session or the AsyncSession around it (their `info` is one)."""
    pending = session.info.get("changes")
    if pending is None:
        pending = session.info["changes"] = set()
    pending.update(records)


def pending(session: Session) -> set[Changed]:
    """What this transaction has announced so far, taken (for tests of what a write announces)."""
    return session.info.pop("changes", None) or set()
