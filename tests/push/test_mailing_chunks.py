"""A push mailing fanned out in chunks (PUSH-06): whatever the chunk size, every recipient is
taken once, an app user gets one notification per mailing, and who counts as an app user follows
STAFF-04 (another partner's white-label app is no app; the unified app only with a premise)."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from core.models import Mailing, MailingRecipient, PushMessage
from push.config import PushConfig
from push.mailings import fan_out_mailing_chunk
from tests.crm.estate import link
from tests.push.conftest import new_phone
from tests.support import create_brand, create_partner, expect, login_resident


async def test_push_06_staff_04_chunks_take_each_recipient_once_with_the_app_users_of_the_partner(
        world, db, http, runtime):
    """Rule: PUSH-06, STAFF-04 — two mailings at once, fanned out two recipients at a time: each
    recipient once, `queued` with one notification per (mailing, account) for the partner's
    white-label app and the unified app with a premise of the partner; `no_app` for a phone without
    an account, one known only to another partner's white-label app, and one in the unified app
    without a premise of the partner."""
    white_label, no_account, elsewhere, unified_linked, unified_alone = (new_phone() for _ in range(5))
    cards = {name: (await world.client(phone)).id for name, phone in (
        ("white_label", white_label), ("no_account", no_account), ("elsewhere", elsewhere),
        ("unified_linked", unified_linked), ("unified_alone", unified_alone))}
    await world.resident(white_label)
    other = await create_partner(http, name="УК Другая")
    await login_resident(http, elsewhere, app_id=(await create_brand(http, other))["slug"])
    await login_resident(http, unified_linked)
    await login_resident(http, unified_alone)
    await link(http, world.staff, str(world.premise_id), str(cards["unified_linked"]))

    everyone = expect(await http.post("/crm/v1/mailings", headers=world.staff, json={
        "channel": "push", "title": "Всем", "body": "Текст", "filter": {}}), 201)
    some = expect(await http.post("/crm/v1/mailings", headers=world.staff, json={
        "channel": "push", "title": "Некоторым", "body": "Текст", "filter": {"client_ids": [
            str(cards["white_label"]), str(cards["elsewhere"]), str(cards["unified_linked"])]}}), 201)
    assert (everyone["recipients"], some["recipients"]) == (5, 3)

    chunks = []
    while done := await fan_out_mailing_chunk(runtime, PushConfig(), limit=2):
        chunks.append(done)
    assert chunks == [2, 2, 2, 2]

    expected = {"white_label": "queued", "no_account": "no_app", "elsewhere": "no_app",
                "unified_linked": "queued", "unified_alone": "no_app"}
    by_card = {card_id: name for name, card_id in cards.items()}
    db.expire_all()
    for mailing in (everyone, some):
        mailing_id = uuid.UUID(mailing["id"])
        recipients = (await db.scalars(select(MailingRecipient).where(MailingRecipient.mailing_id == mailing_id))).all()
        messages = {m.id: m for m in (await db.scalars(select(PushMessage).where(
            PushMessage.mailing_id == mailing_id))).all()}
        assert {by_card[r.client_id]: r.status for r in recipients} == {
            name: status for name, status in expected.items() if cards[name] in {r.client_id for r in recipients}}
        queued = [r for r in recipients if r.status == "queued"]
        assert sorted(r.push_message_id for r in queued) == sorted(messages)
        assert all(messages[r.push_message_id].account_id == r.account_id for r in queued)
        assert all(r.account_id is None and r.push_message_id is None for r in recipients if r.status == "no_app")
        assert (await db.get(Mailing, mailing_id)).status == "done"
