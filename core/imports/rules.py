"""Client matching of an import (SPEC IMPORT-01..04): what to do with one incoming client, from
the facts about the cards its external id and phone match. A plain function, no database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum

MULTI_ORG = "Невозможно изменить номер телефона клиента, так как он зарегистрирован в нескольких организациях"
LOGGED_IN = "Невозможно изменить номер телефона, так как клиент уже выполнил вход в личный кабинет"


class Action(str, Enum):
    UPDATE = "update"                    # IMPORT-01: external id and phone stay, other fields overwrite
    UPDATE_WITH_PHONE = "update_phone"   # IMPORT-02D
    MERGE = "merge"                      # IMPORT-02C: the external id's card merges into the phone's card
    ADD_EXTERNAL_ID = "add_external_id"  # IMPORT-03
    CREATE = "create"                    # IMPORT-04
    REFUSE = "refuse"                    # IMPORT-02A / 02B


@dataclass(frozen=True, slots=True)
class Card:
    id: uuid.UUID
    phone: str | None
    logged_in: bool
    # The card's phone is also a client of another partner (its account spans organisations).
    in_other_partners: bool = False


@dataclass(frozen=True, slots=True)
class Facts:
    by_external_id: Card | None
    by_phone: Card | None
    # The incoming phone was held before by another client of this partner (phone history).
    phone_held_before_by_other: bool = False


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    target: uuid.UUID | None = None    # the card that is written (the survivor of a merge)
    absorbed: uuid.UUID | None = None  # the card that disappears in a merge
    code: str | None = None
    message: str | None = None


def decide(facts: Facts) -> Decision:
    c, d = facts.by_external_id, facts.by_phone
    if c is None:
        if d is None:
            return Decision(Action.CREATE)                        # IMPORT-04
        return Decision(Action.ADD_EXTERNAL_ID, target=d.id)      # IMPORT-03
    if d is not None and d.id == c.id:
        return Decision(Action.UPDATE, target=c.id)               # IMPORT-01
    # IMPORT-02: the external id's card C holds another phone.
    if c.in_other_partners:                                       # IMPORT-02A, checked first
        return Decision(Action.REFUSE, target=c.id, code="phone_in_several_organizations", message=MULTI_ORG)
    if c.logged_in or (d is not None and d.logged_in) or facts.phone_held_before_by_other:  # IMPORT-02B
        return Decision(Action.REFUSE, target=c.id, code="client_logged_in", message=LOGGED_IN)
    if d is not None:                                             # IMPORT-02C
        return Decision(Action.MERGE, target=d.id, absorbed=c.id)
    return Decision(Action.UPDATE_WITH_PHONE, target=c.id)        # IMPORT-02D
