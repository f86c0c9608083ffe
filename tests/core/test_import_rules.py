"""The client matching table of an import, rule by rule (IMPORT-01..04)."""

from __future__ import annotations

import uuid

import pytest

from core.imports.rules import LOGGED_IN, MULTI_ORG, Action, Card, Facts, decide

C, D = uuid.uuid4(), uuid.uuid4()


def card(id_, phone="+79160000001", logged_in=False, other=False) -> Card:
    return Card(id=id_, phone=phone, logged_in=logged_in, in_other_partners=other)


@pytest.mark.parametrize("facts, action, target, absorbed, message", [
    # IMPORT-01: both match the same card
    (Facts(card(C), card(C)), Action.UPDATE, C, None, None),
    (Facts(card(C, logged_in=True, other=True), card(C, logged_in=True, other=True)), Action.UPDATE, C, None, None),
    # IMPORT-02A before everything else
    (Facts(card(C, other=True, logged_in=True), None), Action.REFUSE, C, None, MULTI_ORG),
    (Facts(card(C, other=True), card(D)), Action.REFUSE, C, None, MULTI_ORG),
    # IMPORT-02B
    (Facts(card(C, logged_in=True), None), Action.REFUSE, C, None, LOGGED_IN),
    (Facts(card(C), card(D, logged_in=True)), Action.REFUSE, C, None, LOGGED_IN),
    (Facts(card(C), None, phone_held_before_by_other=True), Action.REFUSE, C, None, LOGGED_IN),
    # IMPORT-02C: merge into the phone's card
    (Facts(card(C), card(D)), Action.MERGE, D, C, None),
    # IMPORT-02D
    (Facts(card(C), None), Action.UPDATE_WITH_PHONE, C, None, None),
    # IMPORT-03
    (Facts(None, card(D, logged_in=True)), Action.ADD_EXTERNAL_ID, D, None, None),
    # IMPORT-04
    (Facts(None, None), Action.CREATE, None, None, None),
])
def test_import_matching_table(facts, action, target, absorbed, message):
    """Rules: IMPORT-01, IMPORT-02A, IMPORT-02B, IMPORT-02C, IMPORT-02D, IMPORT-03, IMPORT-04."""
    decision = decide(facts)
    assert (decision.action, decision.target, decision.absorbed, decision.message) == (action, target, absorbed, message)
