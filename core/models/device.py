"""Device sessions, refresh tokens, notification settings and the push outbox."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import CheckConstraint, Computed, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import MAILING_CHANNELS, PUSH_STATUSES, sql_in
from core.models.base import Base, now_column, uuid_pk


# An app version as a comparable number (4.7.1 -> 4007001; unparsable -> 0), computed by the
# database so every writer agrees: the monitor counts only versions 4.7 and newer (PUSH-07).
VERSION_NUM_SQL = (
    "COALESCE(substring(COALESCE(app_version, '') from '^v?([0-9]{1,3})')::int, 0) * 1000000"
    " + COALESCE(substring(COALESCE(app_version, '') from '^v?[0-9]{1,3}[.]([0-9]{1,3})')::int, 0) * 1000"
    " + COALESCE(substring(COALESCE(app_version, '') from '^v?[0-9]{1,3}[.][0-9]{1,3}[.]([0-9]{1,3})')::int, 0)"
)


class DeviceSession(Base):
    """One login on one device (PUSH-01). Deactivated sessions keep their row for history."""

    __tablename__ = "device_session"
    __table_args__ = (
        Index("ix_device_session_account_active", "account_id", postgresql_where=text("deactivated_at IS NULL")),
        # Every session of an account, ended ones too: a partner's first login and last visit.
        Index("ix_device_session_account_id", "account_id"),
        Index("uq_device_session_fcm_token", "fcm_token", unique=True,
              postgresql_where=text("fcm_token IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    app_id: Mapped[str] = mapped_column(String(64))
    platform: Mapped[str] = mapped_column(String(20))
    model: Mapped[str | None] = mapped_column(String(100))
    device_name: Mapped[str | None] = mapped_column(String(100))
    os_version: Mapped[str | None] = mapped_column(String(50))
    app_version: Mapped[str | None] = mapped_column(String(50))
    created_at: Mapped[datetime] = now_column()
    last_activity_at: Mapped[datetime] = now_column()
    deactivated_at: Mapped[datetime | None]
    deactivation_reason: Mapped[str | None] = mapped_column(String(30))
    fcm_token: Mapped[str | None] = mapped_column(Text)
    os_notifications_enabled: Mapped[bool | None]
    notification_types: Mapped[dict[str, bool]] = mapped_column(JSONB, default=dict, server_default="{}")
    settings_changed_at: Mapped[datetime | None]
    # When each per-type switch last changed: {type: ISO time} (PUSH-02).
    notification_types_changed_at: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict, server_default="{}")
    current_premise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("premise.id", ondelete="SET NULL"), index=True)
    current_brand_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("brand.id", ondelete="SET NULL"))


class RefreshToken(Base):
    """Refresh tokens of a session, stored hashed. A token used twice betrays a theft: the
    session dies (reuse detection)."""

    __tablename__ = "refresh_token"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device_session.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class NotificationSettingsEvent(Base):
    """Every change of the OS permission or of the per-type switches (for the monitor)."""

    __tablename__ = "notification_settings_event"
    __table_args__ = (
        Index("ix_notification_settings_event_at", "created_at"),
        # The monitor counts opt-outs per bucket: a narrow partial index keeps a year of events cheap.
        Index("ix_notification_settings_event_opt_out", "created_at", "app_version_num", "account_id",
              postgresql_where=text("opt_out")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device_session.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    app_version: Mapped[str | None] = mapped_column(String(50))
    app_version_num: Mapped[int] = mapped_column(Computed(VERSION_NUM_SQL, persisted=True))
    os_notifications_enabled: Mapped[bool | None]
    notification_types: Mapped[dict[str, bool]] = mapped_column(JSONB, default=dict, server_default="{}")
    push_enabled: Mapped[bool]
    # Push was deliverable before this change and is not after it (PUSH-07 opt-out).
    opt_out: Mapped[bool] = mapped_column(default=False, server_default="false")
    created_at: Mapped[datetime]


class AppVisit(Base):
    """One row per account, day, app version and app in which the app was opened (PUSH-07). The
    app decides which partners' monitors count the visit (STAFF-04)."""

    __tablename__ = "app_visit"
    __table_args__ = (
        UniqueConstraint("day", "account_id", "app_version", "app_id"),
        # Index-only scans for the monitor's distinct counts per day or week.
        Index("ix_app_visit_day_version", "day", "app_version_num",
              postgresql_include=["account_id", "push_enabled", "app_id"]),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    day: Mapped[date]
    app_version: Mapped[str] = mapped_column(String(50))
    app_version_num: Mapped[int] = mapped_column(Computed(VERSION_NUM_SQL, persisted=True))
    # The app_id of the session (a brand slug or the unified app); '' for visits of unknown app.
    app_id: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # Whether that day's session had push enabled (OS permission on and a type on), latest state.
    push_enabled: Mapped[bool] = mapped_column(default=False, server_default="false")


class PushMessage(Base):
    """A notification to push to one account: written in the transaction of the change that
    causes it (the durable outbox), fanned out to the account's sessions by the worker."""

    __tablename__ = "push_message"
    __table_args__ = (
        Index("ix_push_message_pending", "available_at", postgresql_where=text("fanned_out_at IS NULL")),
        Index("ix_push_message_account_at", "account_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    brand_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("brand.id", ondelete="SET NULL"))
    premise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("premise.id", ondelete="SET NULL"), index=True)
    mailing_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("mailing.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    deep_link: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict, server_default="{}")
    dedup_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = now_column()
    available_at: Mapped[datetime] = now_column()
    fanned_out_at: Mapped[datetime | None]


class PushDelivery(Base):
    """One message to one device session; idempotent per (message, session)."""

    __tablename__ = "push_delivery"
    __table_args__ = (
        UniqueConstraint("message_id", "session_id"),
        CheckConstraint(sql_in("status", PUSH_STATUSES), name="status"),
        Index("ix_push_delivery_due", "next_attempt_at", postgresql_where=text("status IN ('pending', 'sending')")),
        Index("ix_push_delivery_session", "session_id"),
        # Only claimed rows carry a claim (cleared when written): a lease renewal finds them here.
        Index("ix_push_delivery_claim", "claim_id", postgresql_where=text("claim_id IS NOT NULL")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("push_message.id", ondelete="CASCADE"))
    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("device_session.id", ondelete="CASCADE"))
    token: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    resends: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = now_column()
    lease_until: Mapped[datetime | None]
    # The claim holding a `sending` delivery (push/delivery.py): only its holder writes the outcome.
    claim_id: Mapped[uuid.UUID | None]
    fcm_message_id: Mapped[str | None] = mapped_column(String(200))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = now_column()
    sent_at: Mapped[datetime | None]


class Mailing(Base):
    __tablename__ = "mailing"
    __table_args__ = (CheckConstraint(sql_in("channel", MAILING_CHANNELS), name="channel"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    channel: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    filter: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    recipients: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = now_column()
    finished_at: Mapped[datetime | None]


class MailingRecipient(Base):
    __tablename__ = "mailing_recipient"
    __table_args__ = (
        UniqueConstraint("mailing_id", "client_id"),
        Index("ix_mailing_recipient_client", "client_id"),
        # A mailing's open recipients: the push claim reads its pending ones here, and whether a
        # mailing is finished is one probe (see push/mailings.py).
        Index("ix_mailing_recipient_open", "mailing_id", postgresql_where=text("status IN ('pending', 'sending')")),
        Index("ix_mailing_recipient_due", "next_attempt_at",
              postgresql_where=text("status IN ('pending', 'sending')")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    mailing_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("mailing.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    # The app account behind the client's phone when the mailing was fanned out (push channel).
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)
    push_message_id: Mapped[uuid.UUID | None]
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    error: Mapped[str | None] = mapped_column(Text)
    # SMS: sends tried, and when the next one is due (a claim's lease while `sending`).
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = now_column()


class SmsMessage(Base):
    """What the SMS provider was asked to send (the debug provider only records)."""

    __tablename__ = "sms_message"

    id: Mapped[uuid.UUID] = uuid_pk()
    phone: Mapped[str] = mapped_column(String(20), index=True)
    text: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    mailing_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("mailing.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = now_column()
