"""Partners (management companies, developers), their brands, staff, roles and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import PARTNER_KINDS, sql_in
from core.models.base import Base, now_column, uuid_pk


class Partner(Base):
    __tablename__ = "partner"
    __table_args__ = (CheckConstraint(sql_in("kind", PARTNER_KINDS), name="kind"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    products: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    default_brand_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("brand.id", ondelete="SET NULL", use_alter=True)
    )
    created_at: Mapped[datetime] = now_column()


class Brand(Base):
    __tablename__ = "brand"

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    # The app sends a brand slug as its app_id, so slugs are unique across the platform.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    colors: Mapped[dict[str, str]] = mapped_column(JSONB)
    icon_url: Mapped[str] = mapped_column(Text)
    logo_url: Mapped[str | None] = mapped_column(Text)
    # Where the brand's white-label app is installed from: the invite link its residents share
    # (PEOPLE-CARD-01). Unset: the unified app's link with the brand chosen.
    app_url: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = now_column()


class Role(Base):
    __tablename__ = "role"

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    permissions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    created_at: Mapped[datetime] = now_column()


class Staff(Base):
    __tablename__ = "staff"
    __table_args__ = (Index("uq_staff_email", text("lower(email)"), unique=True),)

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("role.id", ondelete="RESTRICT"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True, server_default="true")
    # Staff tokens carry the version they were issued under; deactivation moves it on, so the
    # tokens issued before never work again, even once the account is active again.
    token_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = now_column()


class ApiKey(Base):
    __tablename__ = "api_key"

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    # sha256 of the key: keys are long random strings, so a fast hash is enough.
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = now_column()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class AuditRecord(Base):
    """Who did what to which data, and who read which personal data (152-FZ art. 19)."""

    __tablename__ = "audit_record"
    __table_args__ = (Index("ix_audit_record_partner_at", "partner_id", "created_at"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    actor_type: Mapped[str] = mapped_column(String(20))  # staff | api_key | admin | account | system
    actor_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str | None] = mapped_column(String(50))
    target_id: Mapped[str | None] = mapped_column(String(64))
    fields: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    details: Mapped[dict | None] = mapped_column(JSONB)
    ip: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = now_column()
