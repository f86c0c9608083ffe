"""Rent reminders (PEOPLE-ADD-06): three days before a tenant's rent date the tenant is reminded to
pay; on the day the owner the tenant depends on is asked to check the payment.

Each reminder has a dedup key per link and period, so running the job twice, or in two workers at
once, sends it once: the outbox's unique key lets the second insert do nothing."""

from __future__ import annotations


from sqlalchemy.ext.asyncio import AsyncSession

from core.estate.premises import full_address
from core.notifications.rules import people_link
from core.notifications.service import push_to_client
from core.people import repository, rules
from core.infra.runtime import Runtime


def tenant_key(link_id: object, period: str) -> str:
    return f"rent:tenant:{link_id}:{period}"


def owner_key(link_id: object, period: str) -> str:
    return f"rent:owner:{link_id}:{period}"


async def send_rent_reminders(rt: Runtime, db: AsyncSession) -> int:
    """One pass for the current local day; returns how many reminders were enqueued now."""
    today = rules.reminder_day(rt.clock.now())
    if today is None:
        return 0
    sent = 0
    due = rules.tenant_reminder_date(today)
    for link, premise, tenant_phone, _ in await repository.tenant_links(db, due):
        period = rules.tenant_reminder_due(today, link.rent_day)
        if period is None:
            continue
        sent += await push_to_client(
            db, phone=tenant_phone, partner_id=premise.partner_id, type="rent", title="Скоро оплата аренды",
            body=f"{due:%d.%m.%Y} нужно внести арендную плату: {full_address(premise)}",
            deep_link=None, premise_id=premise.id, dedup_key=tenant_key(link.id, period))
    for link, premise, _, owner_phone in await repository.tenant_links(db, today):
        period = rules.owner_reminder_due(today, link.rent_day)
        if period is None:
            continue

        sent += await push_to_client(
            db, phone=owner_phone, partner_id=premise.partner_id, type="rent", title="День оплаты аренды",
            body=f"Сегодня арендатор должен внести плату за {full_address(premise)}. Проверьте оплату",
            deep_link=people_link(premise.id), premise_id=premise.id, dedup_key=owner_key(link.id, period))
    return sent
