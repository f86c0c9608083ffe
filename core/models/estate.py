"""Objects (ЖК/buildings), premises, personal accounts and what hangs on them."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, ForeignKey, Index, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import LOT_STAGES, PREMISE_TYPES, sql_in
from core.models.base import Base, now_column, updated_column, uuid_pk


class ObjectGroup(Base):
    __tablename__ = "object_group"

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = now_column()


class Quarter(Base):
    __tablename__ = "quarter"

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    object_group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("object_group.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = now_column()


class EstateObject(Base):
    """An object (ЖК or building). Its brand decides the brand of all its premises."""

    __tablename__ = "estate_object"
    __table_args__ = (UniqueConstraint("partner_id", "external_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    object_group_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("object_group.id", ondelete="SET NULL"))
    quarter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("quarter.id", ondelete="SET NULL"))
    brand_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("brand.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(300))
    address: Mapped[str] = mapped_column(String(500))
    postal_code: Mapped[str | None] = mapped_column(String(12))
    image_url: Mapped[str | None] = mapped_column(Text)
    online_payment: Mapped[bool] = mapped_column(default=True, server_default="true")
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = updated_column()


class Premise(Base):
    __tablename__ = "premise"
    __table_args__ = (
        CheckConstraint(sql_in("type", PREMISE_TYPES), name="type"),
        CheckConstraint("total_area IS NULL OR total_area >= 0", name="total_area"),
        CheckConstraint("living_area IS NULL OR living_area >= 0", name="living_area"),
        CheckConstraint("living_area IS NULL OR total_area IS NULL OR living_area <= total_area",
                        name="living_le_total"),
        CheckConstraint("rooms IS NULL OR rooms >= 0", name="rooms"),
        UniqueConstraint("partner_id", "external_id"),
        Index("ix_premise_partner_address", "partner_id", "street", "house", "number"),
        Index("ix_premise_tags", "tags", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    object_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("estate_object.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(20))
    street: Mapped[str] = mapped_column(String(300))
    house: Mapped[str] = mapped_column(String(50))
    building: Mapped[str | None] = mapped_column(String(50))
    entrance: Mapped[str | None] = mapped_column(String(20))
    floor: Mapped[int] = mapped_column(default=0, server_default="0")
    number: Mapped[str] = mapped_column(String(50))
    total_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    living_area: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    rooms: Mapped[int | None]
    online_payment: Mapped[bool] = mapped_column(default=True, server_default="true")
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = updated_column()


class PersonalAccount(Base):
    """Лицевой счёт. Deleting it deletes its bills and meter readings (database cascades)."""

    __tablename__ = "personal_account"
    __table_args__ = (
        UniqueConstraint("partner_id", "external_id"),
        CheckConstraint("els IS NULL OR els ~ '^[0-9]{2}[А-ЯЁ]{2}[0-9]{6}$'", name="els_format"),
        Index("ix_personal_account_partner_number", "partner_id", "number"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    premise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("premise.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(100))
    legal_entity: Mapped[str | None] = mapped_column(String(300))
    els: Mapped[str | None] = mapped_column(String(10))
    external_id: Mapped[str | None] = mapped_column(String(200))
    hidden_in_app: Mapped[bool] = mapped_column(default=False, server_default="false")
    created_at: Mapped[datetime] = now_column()


class Bill(Base):
    __tablename__ = "bill"
    __table_args__ = (
        UniqueConstraint("personal_account_id", "period"),
        CheckConstraint("amount_due >= 0", name="amount_due"),
        CheckConstraint("paid >= 0", name="paid"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # The personal account's partner, on the row: a bill's write renews only that partner's
    # residents' cached screens (core/writes.py).
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    personal_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("personal_account.id", ondelete="CASCADE"), index=True)
    period: Mapped[date]
    amount_due: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    paid: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=Decimal("0"), server_default="0")
    created_at: Mapped[datetime] = now_column()


class Meter(Base):
    """ИПУ: an individual meter of a premise."""

    __tablename__ = "meter"
    __table_args__ = (UniqueConstraint("partner_id", "external_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    premise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("premise.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(50))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = now_column()


class MeterReading(Base):
    __tablename__ = "meter_reading"

    id: Mapped[uuid.UUID] = uuid_pk()
    meter_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("meter.id", ondelete="CASCADE"), index=True)
    personal_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("personal_account.id", ondelete="CASCADE"), index=True)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 3))
    taken_at: Mapped[datetime]
    created_at: Mapped[datetime] = now_column()


class Document(Base):
    __tablename__ = "document"

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    premise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("premise.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    date: Mapped[date | None]
    file_name: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    storage_key: Mapped[str] = mapped_column(String(200))
    is_public: Mapped[bool] = mapped_column(default=True, server_default="true")
    created_at: Mapped[datetime] = now_column()


class Insurance(Base):
    """A policy of a premise; it reaches the app only through the integration API."""

    __tablename__ = "insurance"
    __table_args__ = (UniqueConstraint("partner_id", "external_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    premise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("premise.id", ondelete="CASCADE"), index=True)
    policy_number: Mapped[str] = mapped_column(String(100))
    insurer: Mapped[str] = mapped_column(String(300))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = now_column()


class Lot(Base):
    """A developer's lot in a deal with a client: booking, deal, acceptance."""

    __tablename__ = "lot"
    __table_args__ = (CheckConstraint(sql_in("stage", LOT_STAGES), name="stage"),
                      UniqueConstraint("partner_id", "external_id"))

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    object_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("estate_object.id", ondelete="CASCADE"), index=True)
    premise_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("premise.id", ondelete="SET NULL"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    stage: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(300))
    characteristics: Mapped[dict] = mapped_column(JSONB, default=dict, server_default="{}")
    price: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    external_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = updated_column()
