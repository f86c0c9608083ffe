"""Staff endpoints of the push service: a client's sessions and their deactivation (PUSH-03), the
push log (PUSH-08), mailings (PUSH-06) and the monitor (PUSH-07).

Always scoped to the actor's partner: another partner's client or session answers 404."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from litestar import Controller, delete, get, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import Common, FieldError, InvalidInput
from core.notifications import devices, history, mailings, monitor
from core.notifications.rules import MIN_MONITOR_VERSION
from core.partners.service import PartnerPrincipal
from core.infra.runtime import Runtime
from crm.push.schemas import (
    ClientMailingItem,
    ClientMailingList,
    CreateMailingRequest,
    DeliveryItem,
    DeliveryList,
    MailingCard,
    MailingCreated,
    MailingItem,
    MailingList,
    MonitorBucket,
    PushMonitor,
    SessionItem,
    SessionList,
)
from web.deps import PARTNER, PARTNER_SECURITY, Pages
from web.ids import parse_id, path_id
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Cursor, Limit, iso

SESSIONS = {"permission": "sessions.manage"}
MAILINGS = {"permission": "mailings.send"}


def _s(value) -> str | None:
    return None if value is None else str(value)


EARLIEST = date(2000, 1, 1)


class PushCrmController(Controller):
    path = "/crm/v1"
    tags = ["CRM: push"]
    dependencies = PARTNER
    security = PARTNER_SECURITY

    @get("/clients/{client_id:str}/sessions", operation_id="ListClientSessions", opt=SESSIONS,
         responses=problems(Common.NOT_FOUND))
    async def list_sessions(self, actor: PartnerPrincipal, client_id: str, db: AsyncSession) -> SessionList:
        """The client's active device sessions (PUSH-03); per-type states only while the OS
        permission is on."""
        views = await devices.client_sessions(db, actor, path_id(client_id))
        return SessionList(items=[SessionItem(
            session_id=str(v.session_id), device_name=v.device_name, platform=v.platform, model=v.model,
            app_version=v.app_version, os_version=v.os_version, created_at=iso(v.created_at),
            last_activity_at=iso(v.last_activity_at), os_notifications_enabled=v.os_notifications_enabled,
            settings_changed_at=iso(v.settings_changed_at), notification_types=v.notification_types,
            notification_types_changed_at=v.notification_types_changed_at, has_push_token=v.has_push_token)
            for v in views])

    @delete("/sessions/{session_id:str}", operation_id="DeactivateSession", opt=SESSIONS,
            responses=problems(Common.NOT_FOUND))
    async def deactivate(self, actor: PartnerPrincipal, session_id: str, runtime: Runtime, db: AsyncSession) -> None:
        """End a session: its tokens stop working at once and its device gets no more pushes."""
        await devices.staff_deactivate(runtime, db, actor, path_id(session_id))

    @get("/push/deliveries", operation_id="ListPushDeliveries", responses=problems(Common.NOT_FOUND))
    async def list_deliveries(self, actor: PartnerPrincipal, db: AsyncSession, pages: Pages, client_id: str | None = None,
                              status: str | None = None, cursor: Cursor = None,
                              limit: Limit = DEFAULT_LIMIT) -> DeliveryList:
        """Pushes to the partner's clients with payload and status; without FCM credentials they
        are `recorded` (PUSH-08)."""
        rows, next_cursor = await history.list_deliveries(
            db, actor, client_id=parse_id(client_id, "client_id") if client_id else None, status=status,
            cursor=pages.open(cursor), limit=limit)
        return DeliveryList(items=[DeliveryItem(
            id=str(r.id), session_id=str(r.session_id), notification_id=str(r.message_id), type=r.type,
            title=r.title, body=r.body, deep_link=r.deep_link, brand=r.brand, premise_id=_s(r.premise_id),
            mailing_id=_s(r.mailing_id), data={str(k): str(v) for k, v in (r.data or {}).items()},
            status=r.status, attempts=r.attempts, resends=r.resends, error=r.error, created_at=iso(r.created_at),
            sent_at=iso(r.sent_at)) for r in rows], next_cursor=pages.seal(next_cursor))

    @post("/mailings", operation_id="CreateMailing", opt=MAILINGS, responses=problems())
    async def create_mailing(self, actor: PartnerPrincipal, data: CreateMailingRequest, runtime: Runtime,
                             db: AsyncSession) -> MailingCreated:
        """Send a push or SMS to the clients the filter selects; workers fan it out in chunks."""
        flt = mailings.filter_from({f: getattr(data.filter, f) for f in data.filter.__struct_fields__})
        mailing = await mailings.create_mailing(db, actor, channel=data.channel, title=data.title, body=data.body,
                                                flt=flt, now=runtime.clock.now())
        return MailingCreated(id=str(mailing.id), recipients=mailing.recipients)

    @get("/mailings/{mailing_id:str}", operation_id="GetMailing", responses=problems(Common.NOT_FOUND))
    async def get_mailing(self, actor: PartnerPrincipal, mailing_id: str, db: AsyncSession) -> MailingCard:
        """A mailing with its recipients counted by status."""
        m, counts = await mailings.get_mailing(db, actor, path_id(mailing_id))
        return MailingCard(id=str(m.id), channel=m.channel, title=m.title, body=m.body, status=m.status,
                           recipients=m.recipients, counts=counts, **mailings.summary(counts),
                           created_at=iso(m.created_at), finished_at=iso(m.finished_at))

    @get("/mailings", operation_id="ListMailings", responses=problems())
    async def list_mailings(
        self, actor: PartnerPrincipal, db: AsyncSession, pages: Pages,
        q: Annotated[str | None, Parameter(max_length=200, description="title or text")] = None,
        channel: Literal["push", "sms"] | None = None, status: Literal["pending", "sending", "done"] | None = None,
        sender_id: str | None = None, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT,
    ) -> MailingList:
        """The partner's mailings, newest first (PUSH-06); open one for its recipients' statuses."""
        rows, next_cursor = await mailings.list_mailings(
            db, actor, q=q, channel=channel, status=status,
            staff_id=parse_id(sender_id, "sender_id") if sender_id else None, cursor=pages.open(cursor),
            limit=limit)
        return MailingList(items=[MailingItem(
            id=str(r.id), channel=r.channel, title=r.title, body=r.body, status=r.status, recipients=r.recipients,
            sender_id=_s(r.staff_id), sender_name=r.staff_name, created_at=iso(r.created_at),
            finished_at=iso(r.finished_at)) for r in rows], next_cursor=pages.seal(next_cursor))

    @get("/clients/{client_id:str}/mailings", operation_id="ListClientMailings", responses=problems(Common.NOT_FOUND))
    async def client_mailings(
        self, actor: PartnerPrincipal, client_id: str, db: AsyncSession, pages: Pages, q: str | None = None,
        status: str | None = None, channel: Literal["push", "sms"] | None = None, sender_id: str | None = None,
        period_from: Annotated[date | None, Parameter(query="from")] = None,
        period_to: Annotated[date | None, Parameter(query="to")] = None,
        cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT,
    ) -> ClientMailingList:
        """The mailings sent to a client (PUSH-06): search by title/text, filter by status, type,
        sender and period."""
        rows, next_cursor = await mailings.client_mailings(
            db, actor, path_id(client_id), q=q, status=status, channel=channel,
            staff_id=parse_id(sender_id, "sender_id") if sender_id else None, period_from=period_from,
            period_to=period_to, cursor=pages.open(cursor), limit=limit)
        return ClientMailingList(items=[ClientMailingItem(
            mailing_id=str(r.mailing_id), channel=r.channel, title=r.title, body=r.body, sender_id=_s(r.staff_id),
            sender_name=r.staff_name, status=r.status, created_at=iso(r.created_at)) for r in rows],
            next_cursor=pages.seal(next_cursor))

    @get("/monitor/push", operation_id="GetPushMonitor", responses=problems())
    async def push_monitor(
        self, actor: PartnerPrincipal, runtime: Runtime, db: AsyncSession,
        period_from: Annotated[date | None, Parameter(query="from")] = None,
        period_to: Annotated[date | None, Parameter(query="to")] = None,
        granularity: Literal["day", "week"] = "day",
    ) -> PushMonitor:
        """Active users, users with push enabled and opt-outs per day or week; app 4.7+ only."""
        end = period_to or runtime.clock.now().date()
        if end < EARLIEST:
            raise InvalidInput("Период начинается не раньше 2000 года", errors=[FieldError("to", "Слишком ранняя дата")])
        start = period_from or end - timedelta(days=29)
        if start < EARLIEST or end < start or (end - start).days > 731:
            raise InvalidInput("Период: с 2000 года, не длиннее двух лет, начало не позже конца",
                               errors=[FieldError("from", "Недопустимый период")])
        buckets, total = await monitor.push_monitor(db, actor.partner_id, start=start, end=end,
                                                    granularity=granularity)
        return PushMonitor(granularity=granularity, min_app_version=MIN_MONITOR_VERSION, opt_outs_total=total,
                           buckets=[MonitorBucket(start=b.start.isoformat(), active_users=b.active_users,
                                                  push_enabled_users=b.push_enabled_users, opt_outs=b.opt_outs)
                                    for b in buckets])
