"""Orders (requests, services, event registrations), activity and the in-app inbox."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import ACTIVITY_TYPES, ORDER_KINDS, ORDER_STATUSES, sql_in
from core.models.base import Base, now_column, updated_column, uuid_pk


class Order(Base):
    __tablename__ = "client_order"
    __table_args__ = (
        CheckConstraint(sql_in("kind", ORDER_KINDS), name="kind"),
        CheckConstraint(sql_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating"),
        UniqueConstraint("partner_id", "number"),
        Index("ix_client_order_client_kind", "client_id", "kind", "created_at"),
        Index("ix_client_order_premise", "premise_id"),
        # The staff's orders inbox, newest change first (keyset).
        Index("ix_client_order_partner_updated", "partner_id", "updated_at", "id"),
        # Whether a partner has events open to sign up for (My Orders' empty state, APP-ORD-03).
        Index("ix_client_order_partner_kind_status", "partner_id", "kind", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(30))
    premise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("premise.id", ondelete="SET NULL"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    staff_comment: Mapped[str | None] = mapped_column(Text)
    rating: Mapped[int | None]
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = updated_column()
    changed_for_client_at: Mapped[datetime | None]
    seen_by_client_at: Mapped[datetime | None]
    # The orders inbox: a new order or a resident's change that no staff member has opened yet.
    changed_for_staff_at: Mapped[datetime | None]
    seen_by_staff_at: Mapped[datetime | None]


class OrderCounter(Base):
    """The last order number given in a partner: numbers come from one row updated with
    UPDATE … RETURNING, so concurrent creations queue on its lock and never share a number."""

    __tablename__ = "order_counter"

    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0, server_default="0")


class Activity(Base):
    """What a client or premise took part in (CRM-ACT-01)."""

    __tablename__ = "activity"
    __table_args__ = (
        CheckConstraint(sql_in("type", ACTIVITY_TYPES), name="type"),
        Index("ix_activity_premise_at", "premise_id", "occurred_at"),
        Index("ix_activity_client_at", "client_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    premise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("premise.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    order_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("client_order.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(500))
    status: Mapped[str | None] = mapped_column(String(30))
    occurred_at: Mapped[datetime] = now_column()


class Notification(Base):
    """An in-app inbox item of an account."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_account_unread", "account_id", "read_at", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"))
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    premise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("premise.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    deep_link: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = updated_column()
