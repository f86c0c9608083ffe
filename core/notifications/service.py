"""In-app inbox items and pushes to a client's account, found by the card's phone (README:
Architecture, behind the modules)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.infra.clock import Clock
from core.errors import InvalidInput
from core.models import Account, Client, Notification, Premise
from core.notifications import repository
from core.notifications.outbox import enqueue_push
from core.partners.service import PartnerPrincipal
from core.scope import owned


async def account_for_phone(db: AsyncSession, phone: str) -> uuid.UUID:
    """The account of this phone, created (not logged in) if there is none."""
    # Looked up first: the insert is a write to a table the screens read (it renews every cached
    # screen, core/writes.py), even when it inserts nothing.
    found = await repository.account_id_of(db, phone)
    if found is not None:
        return found
    await db.execute(insert(Account).values(phone=phone).on_conflict_do_nothing(index_elements=[Account.phone]))
    return await repository.account_id_of(db, phone)


async def logged_in_account(db: AsyncSession, phone: str | None) -> uuid.UUID | None:
    if phone is None:
        return None
    return await repository.logged_in_account_id(db, phone)


async def push_to_client(db: AsyncSession, *, phone: str | None, partner_id: uuid.UUID, type: str, title: str,
                         body: str, deep_link: str | None, premise_id: uuid.UUID | None = None,
                         dedup_key: str | None = None) -> bool:
    """Enqueue a push to the account of this phone if it has logged in; True if enqueued."""
    account_id = await logged_in_account(db, phone)
    if account_id is None:
        return False
    await enqueue_push(db, account_id=account_id, type=type, title=title, body=body, deep_link=deep_link,
                       partner_id=partner_id, premise_id=premise_id, dedup_key=dedup_key)
    return True


async def notify_phone(db: AsyncSession, *, phone: str, partner_id: uuid.UUID, type: str, title: str, body: str,
                       deep_link: str | None = None, premise_id: uuid.UUID | None = None,
                       now: datetime | None = None) -> Notification:
    """An inbox item for the account of this phone and, if it has logged in, a push. Without a
    deep link of its own the push opens the inbox item."""
    account_id = await account_for_phone(db, phone)
    item = Notification(id=uuid.uuid4(), account_id=account_id, partner_id=partner_id, premise_id=premise_id,
                        type=type, title=title, body=body, deep_link=deep_link)
    if now is not None:
        item.created_at = item.updated_at = now
    db.add(item)
    await db.flush()
    await push_to_client(db, phone=phone, partner_id=partner_id, type=type, title=title, body=body,
                         deep_link=deep_link or f"app://notifications/{item.id}", premise_id=premise_id,
                         dedup_key=f"notification:{item.id}")
    return item


async def send_to_client(db: AsyncSession, actor: PartnerPrincipal, clock: Clock, *, client_id: uuid.UUID,
                         premise_id: uuid.UUID | None, type: str, title: str, body: str,
                         deep_link: str | None) -> Notification:
    """The notifications feed: an inbox item (and a push) for a client of the partner."""
    client = await owned(db, actor, Client, client_id, field="client_id")
    if premise_id is not None:
        await owned(db, actor, Premise, premise_id, field="premise_id")
    if client.phone is None:
        raise InvalidInput.field("client_id", "У клиента нет номера телефона: уведомление некому доставить")
    return await notify_phone(db, phone=client.phone, partner_id=actor.partner_id, type=type, title=title,
                              body=body, deep_link=deep_link, premise_id=premise_id, now=clock.now())
