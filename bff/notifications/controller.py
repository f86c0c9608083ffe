"""The notifications inbox (Profile's counter leads here)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.params import Parameter
from litestar.status_codes import HTTP_200_OK
from sqlalchemy.ext.asyncio import AsyncSession

from bff.notifications.schemas import Inbox, InboxItem, MarkedRead
from core.auth.service import ResidentPrincipal
from core.models import Notification
from core.residents import inbox
from core.infra.runtime import Runtime
from web.deps import RESIDENT, RESIDENT_SECURITY, Pages
from web.ids import parse_id, path_id
from core.errors import Common
from web.problems import problems
from web.schemas import DEFAULT_LIMIT, Cursor, Limit


def inbox_item(n: Notification) -> InboxItem:
    return InboxItem(id=str(n.id), type=n.type, title=n.title, body=n.body, deep_link=n.deep_link,
                     premise_id=str(n.premise_id) if n.premise_id else None, read=n.read_at is not None,
                     created_at=n.created_at)


class InboxController(Controller):
    path = "/app/v1/notifications"
    tags = ["App: notifications"]
    dependencies = RESIDENT
    security = RESIDENT_SECURITY

    @get("", operation_id="ListNotifications", responses=problems())
    async def list_notifications(self, resident: ResidentPrincipal, db: AsyncSession, pages: Pages,
                                 premise_id: Annotated[str | None, Parameter(max_length=64)] = None,
                                 unread: bool = False, cursor: Cursor = None,
                                 limit: Limit = DEFAULT_LIMIT) -> Inbox:
        """The account's in-app inbox, newest first, keyset-paginated; `unread` counts what is left to read."""
        items, next_cursor, unread_count = await inbox.list_inbox(
            db, resident.account_id, premise_id=parse_id(premise_id, "premise_id") if premise_id else None,
            unread_only=unread, cursor=pages.open(cursor), limit=limit)
        return Inbox(items=[inbox_item(n) for n in items], next_cursor=pages.seal(next_cursor), unread=unread_count)

    @post("/{notification_id:str}/read", status_code=HTTP_200_OK, operation_id="MarkNotificationRead",
          responses=problems(Common.NOT_FOUND))
    async def read(self, resident: ResidentPrincipal, notification_id: str, db: AsyncSession,
                   runtime: Runtime) -> InboxItem:
        """Marks one inbox item read (idempotent); another account's item is 404."""
        return inbox_item(await inbox.mark_read(db, runtime.clock, resident.account_id, path_id(notification_id)))

    @post("/read-all", status_code=HTTP_200_OK, operation_id="MarkAllNotificationsRead", responses=problems())
    async def read_all(self, resident: ResidentPrincipal, db: AsyncSession, runtime: Runtime) -> MarkedRead:
        """Marks every inbox item of the account read; the answer counts them."""
        return MarkedRead(marked=await inbox.mark_all_read(db, runtime.clock, resident.account_id))
