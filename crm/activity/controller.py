"""Activity tabs of the premise and client cards (CRM-ACT-01)."""

from __future__ import annotations

from litestar import Controller, get
from sqlalchemy.ext.asyncio import AsyncSession

from core.activity import service
from core.audit import record_pii_read
from core.clients.pii import PiiPolicy
from core.clients.service import full_name
from core.estate.premises import full_address
from core.partners.service import PartnerPrincipal
from crm.activity.schemas import (ActivityClient, ActivityCounters, ActivityFeed, ActivityItem, ActivityPremise,
                                  ActivityStatus, ActivityType)
from web.deps import PARTNER, PARTNER_SECURITY, Pages
from web.ids import parse_id, path_id
from core.errors import Common
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Cursor, Limit

READ = {"permission": "clients.activity"}
SHOWN_PII = ("name", "phone")


async def feed_answer(db: AsyncSession, actor: PartnerPrincipal, rows, next_cursor, counters) -> ActivityFeed:
    policy = PiiPolicy.of(actor)
    items = []
    for row in rows:
        activity, order, premise, client = row.activity, row.order, row.premise, row.client
        items.append(ActivityItem(
            id=str(activity.id), type=activity.type, subject=activity.subject, status=activity.status,
            number=order.number if order else None, order_id=str(order.id) if order else None,
            premise=ActivityPremise(id=str(premise.id), address=full_address(premise)) if premise else None,
            client=ActivityClient(id=str(client.id), full_name=policy.name(full_name(client)),
                                  phone=policy.phone(client.phone)) if client else None,
            occurred_at=activity.occurred_at, updated_at=order.updated_at if order else activity.occurred_at))
    revealed = [field for field in policy.revealed if field in SHOWN_PII]
    await record_pii_read(db, actor, [row.client.id for row in rows if row.client], revealed)
    return ActivityFeed(items=items, next_cursor=next_cursor,
                        counters=ActivityCounters(active_requests=counters.active_requests, total=counters.total))


class ActivityController(Controller):
    path = "/crm/v1"
    tags = ["CRM: activity"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @get("/premises/{premise_id:str}/activity", operation_id="ListPremiseActivity", opt=READ,
         responses=problems(Common.NOT_FOUND))
    async def premise_activity(self, actor: PartnerPrincipal, premise_id: str, db: AsyncSession, pages: Pages,
                               q: str | None = None, type: ActivityType | None = None,
                               status: ActivityStatus | None = None, client_id: str | None = None,
                               cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> ActivityFeed:
        """CRM-ACT-01: the activity of a premise (all its clients merged), newest first, with search, type,
        client and status filters and counters."""
        filters = service.Filters(q=q, type=type, status=status,
                                  client_id=parse_id(client_id, "client_id") if client_id else None)
        rows, next_cursor, counters = await service.premise_feed(db, actor, path_id(premise_id), filters,
                                                                 cursor=pages.open(cursor), limit=limit)
        return await feed_answer(db, actor, rows, pages.seal(next_cursor), counters)

    @get("/clients/{client_id:str}/activity", operation_id="ListClientActivity", opt=READ,
         responses=problems(Common.NOT_FOUND))
    async def client_activity(self, actor: PartnerPrincipal, client_id: str, db: AsyncSession, pages: Pages,
                              q: str | None = None, type: ActivityType | None = None,
                              status: ActivityStatus | None = None, premise_id: str | None = None,
                              cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT) -> ActivityFeed:
        """CRM-ACT-01: the activity of one client only, newest first, with search, type, premise and status
        filters and counters."""
        filters = service.Filters(q=q, type=type, status=status,
                                  premise_id=parse_id(premise_id, "premise_id") if premise_id else None)
        rows, next_cursor, counters = await service.client_feed(db, actor, path_id(client_id), filters,
                                                                cursor=pages.open(cursor), limit=limit)
        return await feed_answer(db, actor, rows, pages.seal(next_cursor), counters)
