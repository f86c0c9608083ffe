"""Device sessions as the push service sees them: the app's token and notification settings
(PUSH-02), the staff view and deactivation (PUSH-03)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.auth.service import deactivate_session
from core.clients.repository import partner_card_phone
from core.enums import NOTIFICATION_TYPES
from core.errors import NotFound
from core.models import AppVisit, DeviceSession, NotificationSettingsEvent
from core.notifications import repository, rules
from core.partners.service import PartnerPrincipal
from core.infra.runtime import Runtime
from core.changes import UNAFFECTED


@dataclass(frozen=True, slots=True)
class DeviceUpdate:
    fcm_token: str | None = None
    token_sent: bool = False
    os_notifications_enabled: bool | None = None
    os_sent: bool = False
    notification_types: dict[str, bool] | None = None


async def update_device(rt: Runtime, db: AsyncSession, session_id: uuid.UUID, change: DeviceUpdate) -> DeviceSession:
    now = rt.clock.now()
    session = await repository.session_for_update(db, session_id)
    if session is None or session.deactivated_at is not None:
        raise NotFound("Сессия не найдена")
    if change.token_sent and change.fcm_token != session.fcm_token:
        if change.fcm_token:
            # A token belongs to one installation: the session it moves from stops receiving.
            # (No screen shows a session's token: the cached screens stay valid.)
            await db.execute(update(DeviceSession).where(DeviceSession.fcm_token == change.fcm_token,
                                                         DeviceSession.id != session_id).values(fcm_token=None),
                             execution_options={UNAFFECTED: True})
            await db.flush()
        session.fcm_token = change.fcm_token or None

    before_os, before_types = session.os_notifications_enabled, dict(session.notification_types or {})
    after_os = change.os_notifications_enabled if change.os_sent else before_os
    after_types = dict(before_types)
    changed_at = dict(session.notification_types_changed_at or {})
    for kind, enabled in (change.notification_types or {}).items():
        # Types this server does not know (a newer app) are ignored rather than refused.
        if kind not in NOTIFICATION_TYPES:
            continue
        if rules.type_enabled(before_types, kind) != bool(enabled):
            changed_at[kind] = now.isoformat()
        after_types[kind] = bool(enabled)
    settings_changed = after_os != before_os or rules.effective_types(after_types) != rules.effective_types(
        before_types)
    session.os_notifications_enabled = after_os
    session.notification_types = after_types
    session.notification_types_changed_at = changed_at
    if settings_changed:
        session.settings_changed_at = now
        db.add(NotificationSettingsEvent(
            session_id=session.id, account_id=session.account_id, app_version=session.app_version,
            os_notifications_enabled=after_os,
            notification_types=rules.effective_types(after_types),
            push_enabled=rules.push_enabled(after_os, after_types),
            opt_out=rules.is_opt_out(before_os, before_types, after_os, after_types), created_at=now))
    session.last_activity_at = now
    await record_visit(db, session.account_id, session.app_id, session.app_version, now,
                       push_enabled=rules.push_enabled(after_os, after_types))
    await db.flush()
    return session


async def record_visit(db: AsyncSession, account_id: uuid.UUID, app_id: str, app_version: str | None,
                       now: datetime, *, push_enabled: bool) -> None:
    """One row per account, day, version and app (PUSH-07), carrying the latest push state."""
    stmt = insert(AppVisit).values(account_id=account_id, day=now.date(), app_version=app_version or "",
                                   app_id=app_id, push_enabled=push_enabled)
    await db.execute(stmt.on_conflict_do_update(
        index_elements=[AppVisit.day, AppVisit.account_id, AppVisit.app_version, AppVisit.app_id],
        set_={"push_enabled": stmt.excluded.push_enabled}))


@dataclass(frozen=True, slots=True)
class SessionView:
    session_id: uuid.UUID
    device_name: str
    platform: str
    model: str | None
    app_version: str | None
    os_version: str | None
    created_at: datetime
    last_activity_at: datetime
    os_notifications_enabled: bool | None
    settings_changed_at: datetime | None
    notification_types: dict[str, bool] | None
    notification_types_changed_at: dict[str, str] | None
    has_push_token: bool


async def _client_phone(db: AsyncSession, actor: PartnerPrincipal, client_id: uuid.UUID) -> str | None:
    row = await partner_card_phone(db, actor.partner_id, client_id)
    if row is None:
        raise NotFound("Клиент не найден")
    return row[0]


async def client_sessions(db: AsyncSession, actor: PartnerPrincipal, client_id: uuid.UUID) -> list[SessionView]:
    """PUSH-03: the active sessions of the account behind the client's phone, of the apps the
    partner sees (STAFF-04). Per-type states show only when the OS permission is on: otherwise
    they decide nothing."""
    phone = await _client_phone(db, actor, client_id)
    if not phone:
        return []
    rows = await repository.active_sessions(db, actor.partner_id, phone)
    views = []
    for s in rows:
        show_types = s.os_notifications_enabled is True
        views.append(SessionView(
            session_id=s.id, device_name=rules.device_label(s.device_name, s.model), platform=s.platform,
            model=s.model, app_version=s.app_version, os_version=s.os_version, created_at=s.created_at,
            last_activity_at=s.last_activity_at, os_notifications_enabled=s.os_notifications_enabled,
            settings_changed_at=s.settings_changed_at,
            notification_types=rules.effective_types(s.notification_types) if show_types else None,
            notification_types_changed_at=dict(s.notification_types_changed_at or {}) if show_types else None,
            has_push_token=bool(s.fcm_token)))
    return views


async def staff_deactivate(rt: Runtime, db: AsyncSession, actor: PartnerPrincipal, session_id: uuid.UUID) -> None:
    """PUSH-03: only a session of an account that is one of the partner's clients, in an app the
    partner sees (STAFF-04); any other answers as unknown."""
    if await repository.client_session(db, actor.partner_id, session_id) is None:
        raise NotFound("Сессия не найдена")
    await deactivate_session(rt, db, session_id, reason="staff")
