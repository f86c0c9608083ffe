"""Residents: CRM client cards (per partner), global app accounts (per phone), premise links,
guests and requests to add a premise."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (CheckConstraint, ForeignKey, Index, Numeric, String, Text,
                        UniqueConstraint, text)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import (CLIENT_STATUSES, CLIENT_TYPES, GENDERS, LINK_ROLES, REGISTRATION_KINDS,
                        REGISTRATION_STATUSES, sql_in)
from core.models.base import Base, now_column, updated_column, uuid_pk


class Account(Base):
    """The global app identity of one phone number. It is linked, by that phone, to every
    client card of every partner. "Has logged in" means first_login_at is set."""

    __tablename__ = "account"
    __table_args__ = (CheckConstraint(sql_in("type", CLIENT_TYPES), name="type"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    type: Mapped[str] = mapped_column(String(20), default="individual", server_default="individual")
    last_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    name: Mapped[str | None] = mapped_column(String(300))  # legal entity / branch name
    photo_url: Mapped[str | None] = mapped_column(Text)
    birth_date: Mapped[date | None]
    email: Mapped[str | None] = mapped_column(String(320))
    gender: Mapped[str | None] = mapped_column(String(10))
    first_login_at: Mapped[datetime | None]
    last_visit_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()


class Client(Base):
    """A partner-scoped CRM card."""

    __tablename__ = "client"
    __table_args__ = (
        CheckConstraint(sql_in("type", CLIENT_TYPES), name="type"),
        CheckConstraint(sql_in("status", CLIENT_STATUSES), name="status"),
        CheckConstraint(f"gender IS NULL OR {sql_in('gender', GENDERS)}", name="gender"),
        UniqueConstraint("partner_id", "phone"),
        Index("ix_client_phone", "phone"),
        Index("ix_client_partner_name", "partner_id", "last_name", "first_name"),
        Index("ix_client_tags", "tags", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(20), default="individual", server_default="individual")
    tax_form: Mapped[str | None] = mapped_column(String(50))
    last_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    organization_name: Mapped[str | None] = mapped_column(String(300))
    # E.164; NULL for a child added without a phone.
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(320))
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None]
    passport: Mapped[dict | None] = mapped_column(JSONB)
    registration_address: Mapped[str | None] = mapped_column(String(500))
    inn: Mapped[str | None] = mapped_column(String(12))
    snils: Mapped[str | None] = mapped_column(String(11))
    loyalty_card: Mapped[str | None] = mapped_column(String(50))
    note: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    status: Mapped[str] = mapped_column(String(10), default="active", server_default="active")
    is_tester: Mapped[bool] = mapped_column(default=False, server_default="false")
    # How a resident addresses a child they added (PEOPLE-ADD-05).
    child_name: Mapped[str | None] = mapped_column(String(100))
    # The account that created this card from the app, if any (PEOPLE-ADD-04).
    created_by_account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("account.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = updated_column()


class ClientAppUse(Base):
    """A card's first login and last visit in the apps its partner sees (STAFF-04), for the list
    sorted by last visit. Written only by triggers (migration 0007), in the transaction of every
    write that changes it; `core.scope.app_use_select` is the same answer computed."""

    __tablename__ = "client_app_use"
    # Computed from other rows, never moved: a merge recomputes the survivor's (core/clients/merge.py).
    __table_args__ = {"info": {"derived": True}}

    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), primary_key=True)
    partner_id: Mapped[uuid.UUID]
    first_login_at: Mapped[datetime | None]
    last_visit_at: Mapped[datetime | None]


class ClientExternalId(Base):
    """One of several ids of a client in the partner's other systems (1C, its own server...)."""

    __tablename__ = "client_external_id"
    __table_args__ = (UniqueConstraint("partner_id", "value"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = now_column()


class ClientPhoneHistory(Base):
    """Phones a client held before; a phone once held is never silently reassigned (IMPORT-02B)."""

    __tablename__ = "client_phone_history"
    __table_args__ = (Index("ix_client_phone_history_partner_phone", "partner_id", "phone"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[datetime] = now_column()


class PremiseLink(Base):
    __tablename__ = "premise_link"
    __table_args__ = (
        UniqueConstraint("premise_id", "client_id"),
        CheckConstraint(sql_in("role", LINK_ROLES), name="role"),
        CheckConstraint("role IN ('owner', 'unconfirmed_owner') OR depends_on_client_id IS NOT NULL",
                        name="depends_on"),
        CheckConstraint("rent_day IS NULL OR rent_day BETWEEN 1 AND 31", name="rent_day"),
        CheckConstraint("role <> 'tenant' OR rent_day IS NOT NULL", name="tenant_rent_day"),
        CheckConstraint("share IS NULL OR (share > 0 AND share <= 1)", name="share"),
        Index("ix_premise_link_client", "client_id"),
        # The rent reminders' daily pass (PEOPLE-ADD-06).
        Index("ix_premise_link_tenant_rent_day", "rent_day", postgresql_where=text("role = 'tenant'")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    premise_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("premise.id", ondelete="CASCADE"))
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    depends_on_client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("client.id", ondelete="CASCADE"), index=True)
    ddu_number: Mapped[str | None] = mapped_column(String(100))
    ddu_date: Mapped[date | None]
    acceptance_act_number: Mapped[str | None] = mapped_column(String(100))
    acceptance_act_date: Mapped[date | None]
    certificate_number: Mapped[str | None] = mapped_column(String(100))
    certificate_date: Mapped[date | None]
    management_contract_number: Mapped[str | None] = mapped_column(String(100))
    management_contract_date: Mapped[date | None]
    share: Mapped[Decimal | None] = mapped_column(Numeric(7, 6))
    staff_comment: Mapped[str | None] = mapped_column(Text)
    online_payment: Mapped[bool] = mapped_column(default=True, server_default="true")
    keep_on_integration: Mapped[bool] = mapped_column(default=False, server_default="false")
    added_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    added_by_account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"), index=True)
    rent_day: Mapped[int | None]
    linked_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = updated_column()


class Guest(Base):
    """A person a resident saved for events only; linked to no premise."""

    __tablename__ = "guest"
    __table_args__ = (CheckConstraint(f"gender IS NULL OR {sql_in('gender', GENDERS)}", name="gender"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    last_name: Mapped[str | None] = mapped_column(String(100))
    first_name: Mapped[str | None] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    child_name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(320))
    gender: Mapped[str | None] = mapped_column(String(10))
    birth_date: Mapped[date | None]
    created_at: Mapped[datetime] = now_column()
    updated_at: Mapped[datetime] = updated_column()


class RegistrationRequest(Base):
    """A resident's request to add a premise, or an unidentified showcase lead (STAFF-05)."""

    __tablename__ = "registration_request"
    __table_args__ = (
        CheckConstraint(sql_in("kind", REGISTRATION_KINDS), name="kind"),
        CheckConstraint(sql_in("status", REGISTRATION_STATUSES), name="status"),
        Index("ix_registration_request_partner_status", "partner_id", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    # Never empty: a request is stored only where a partner sees it (STAFF-05).
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    account_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("account.id", ondelete="CASCADE"), index=True)
    phone: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("estate_object.id", ondelete="SET NULL"), index=True)
    address: Mapped[str | None] = mapped_column(String(500))
    number: Mapped[str | None] = mapped_column(String(50))
    role: Mapped[str | None] = mapped_column(String(20))
    details: Mapped[dict | None] = mapped_column(JSONB)
    decided_by_staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = now_column()
