"""The stored app use of each card (client_app_use, kept by the triggers of migration 0007) is
after every kind of write the same as the app use computed from the sessions
(`core.scope.app_use_select`, STAFF-04): logins, visits, premise links made and removed, a card
created, typed with another partner's resident's phone, its phone changed, merged, imported, a
brand created, and the rarer writes no endpoint makes (a session or account removed, an
account's phone changed)."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, select, text, update

from core.changes import EVERYONE, changes
from core.models import Account, Client, ClientAppUse, DeviceSession
from core.scope import app_use_select
from tests.crm.estate import link, make_client, make_object, make_premise, partner_with_staff
from tests.push.conftest import new_phone
from tests.support import create_brand, expect, login_resident


async def _agree(db, partner_ids) -> dict[uuid.UUID, tuple]:
    """Every card of the partners has a stored row equal to the computed one; returns them by card."""
    await db.commit()
    cards = (await db.execute(select(Client.id, Client.partner_id, Client.phone)
                              .where(Client.partner_id.in_([uuid.UUID(str(p)) for p in partner_ids])))).all()
    stored = {row.client_id: (row.partner_id, row.first_login_at, row.last_visit_at) for row in (await db.execute(
        select(ClientAppUse).where(ClientAppUse.client_id.in_([c.id for c in cards])))).scalars()}
    assert set(stored) == {c.id for c in cards}
    out = {}
    for card in cards:
        computed = tuple((await db.execute(app_use_select(card.partner_id, card.phone))).one()) if card.phone \
            else (None, None)
        assert stored[card.id] == (card.partner_id, *computed), card
        out[card.id] = computed
    return out


async def _list_visits(http, staff) -> list[tuple[str, str | None]]:
    rows = expect(await http.get("/crm/v1/clients", headers=staff, params={"sort": "-last_visit"}), 200)["items"]
    return [(r["id"], r["last_visit_at"]) for r in rows]


async def test_staff_04_stored_app_use_follows_every_write_and_stays_within_the_partner(http, db, clock):
    """Rule: STAFF-04, CRM-CLI-01 — after each kind of write the stored first login and last visit
    of every card equal the computed ones; B's card typed with A's resident's phone shows nothing
    of what that phone does in A's white-label app, in the stored row and in the list."""
    a_id, a_staff = await partner_with_staff(http, name="УК А")
    b_id, b_staff = await partner_with_staff(http, name="УК Б")
    a_brand = (await create_brand(http, a_id))["slug"]
    partners = (a_id, b_id)
    phone, other_phone = new_phone(), new_phone()
    a_card = await make_client(http, a_staff, "Иванов", "Иван", phone)
    await _agree(db, partners)

    # A login in A's white-label app, then a visit stamped a while later.
    resident = await login_resident(http, phone, app_id=a_brand)
    visits = await _agree(db, partners)
    assert visits[uuid.UUID(a_card)][1] is not None
    clock.advance(seconds=300)
    headers = {"Authorization": f"Bearer {resident['access_token']}"}
    expect(await http.get("/app/v1/screens/profile", headers=headers), 200)
    assert (await _agree(db, partners))[uuid.UUID(a_card)][1] == clock.now()
    clock.advance(seconds=60)
    expect(await http.put("/app/v1/device", json={"os_notifications_enabled": True}, headers=headers), 200)
    assert (await _agree(db, partners))[uuid.UUID(a_card)][1] == clock.now()

    # B's card typed with the phone: nothing of A's white-label app, stored or listed.
    b_card = await make_client(http, b_staff, "Иванов", "Иван", phone)
    assert (await _agree(db, partners))[uuid.UUID(b_card)] == (None, None)
    assert await _list_visits(http, b_staff) == [(b_card, None)]
    assert [card for card, visit in await _list_visits(http, a_staff) if visit] == [a_card]

    # The unified app shows to B only while B's card has a premise.
    clock.advance(seconds=60)
    await login_resident(http, phone)
    assert (await _agree(db, partners))[uuid.UUID(b_card)] == (None, None)
    b_premise = await make_premise(http, b_staff, await make_object(http, b_staff, "ЖК Б"))
    await link(http, b_staff, b_premise, b_card)
    assert (await _agree(db, partners))[uuid.UUID(b_card)][1] == clock.now()
    listed = await _list_visits(http, b_staff)
    assert listed[0][0] == b_card and listed[0][1] is not None
    expect(await http.delete(f"/crm/v1/premises/{b_premise}/clients/{b_card}", headers=b_staff), 204)
    assert (await _agree(db, partners))[uuid.UUID(b_card)] == (None, None)

    # A card's phone changed (B's card never logged in with B, so it may), and a card created
    # for a phone that already has sessions.
    expect(await http.patch(f"/crm/v1/clients/{b_card}", headers=b_staff, json={"phone": other_phone}), 200)
    await _agree(db, partners)
    expect(await http.patch(f"/crm/v1/clients/{b_card}", headers=b_staff, json={"phone": phone}), 200)
    await _agree(db, partners)
    await login_resident(http, other_phone, app_id=a_brand)
    late = await make_client(http, a_staff, "Петров", "Пётр", other_phone)
    assert (await _agree(db, partners))[uuid.UUID(late)][1] is not None

    # A brand of B whose app the phone then uses; an import of cards; a merge.
    b_brand = (await create_brand(http, b_id))["slug"]
    await login_resident(http, phone, app_id=b_brand)
    assert (await _agree(db, partners))[uuid.UUID(b_card)][1] == clock.now()
    third, fourth = new_phone(), new_phone()
    await login_resident(http, third, app_id=b_brand)
    expect(await http.post("/crm/v1/import/clients", headers=b_staff, json={"items": [
        {"external_id": "imp-1", "phone": third, "last_name": "Сидоров", "first_name": "Семён"},
        {"external_id": "imp-2", "phone": fourth, "last_name": "Смирнов", "first_name": "Сергей"}]}), 200)
    assert (await _agree(db, partners))[await db.scalar(select(Client.id).where(
        Client.phone == third, Client.partner_id == uuid.UUID(b_id)))][1] is not None
    imported = await db.scalar(select(Client.id).where(Client.phone == fourth, Client.partner_id == uuid.UUID(b_id)))
    premise = await make_premise(http, b_staff, await make_object(http, b_staff, "ЖК В"), "7")
    await link(http, b_staff, premise, b_card)
    expect(await http.post(f"/crm/v1/clients/{imported}/merge", headers=b_staff,
                           json={"with_client_id": b_card}), 200)
    await _agree(db, partners)

    # Writes no endpoint makes today, kept all the same.
    account_id = await db.scalar(select(Account.id).where(Account.phone == phone))
    newest = await db.scalar(select(DeviceSession.id).where(DeviceSession.account_id == account_id)
                             .order_by(DeviceSession.last_activity_at.desc()).limit(1))
    await db.execute(delete(DeviceSession).where(DeviceSession.id == newest))
    await _agree(db, partners)
    await db.execute(update(Account).where(Account.id == account_id).values(phone=new_phone()))
    await _agree(db, partners)
    await db.execute(text("UPDATE brand SET slug = slug || '-x' WHERE slug = :slug"), {"slug": a_brand},
                     execution_options=changes(EVERYONE, table="brand"))  # whose screens read a partner
    await _agree(db, partners)
    await db.execute(delete(Account).where(Account.phone == other_phone))
    await _agree(db, partners)
