"""File imports (Excel, XML) run by the worker, with progress for the partner's staff."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.enums import sql_in
from core.models.base import Base, now_column, uuid_pk

IMPORT_STATUSES = ("pending", "running", "done", "failed")


class ImportJob(Base):
    __tablename__ = "import_job"
    __table_args__ = (
        CheckConstraint(sql_in("status", IMPORT_STATUSES), name="status"),
        CheckConstraint(sql_in("kind", ("premises", "clients")), name="kind"),
        CheckConstraint(sql_in("format", ("xlsx", "xml")), name="format"),
        Index("ix_import_job_pending", "created_at", postgresql_where=text("status IN ('pending', 'running')")),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    partner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner.id", ondelete="CASCADE"), index=True)
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str] = mapped_column(String(64))
    permissions: Mapped[list[str]] = mapped_column(JSONB, default=list)
    kind: Mapped[str] = mapped_column(String(20))
    format: Mapped[str] = mapped_column(String(10))
    file_name: Mapped[str] = mapped_column(String(300))
    storage_key: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="pending", server_default="pending")
    total: Mapped[int | None]
    processed: Mapped[int] = mapped_column(default=0, server_default="0")
    created: Mapped[int] = mapped_column(default=0, server_default="0")
    updated: Mapped[int] = mapped_column(default=0, server_default="0")
    errors_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # The first errors (row, column, message); the count above has them all.
    errors: Mapped[list[dict]] = mapped_column(JSONB, default=list, server_default="[]")
    failure: Mapped[str | None] = mapped_column(String(1000))
    lease_until: Mapped[datetime | None]
    # The run holding the job: its writes name it, so a run whose lease passed changes nothing.
    claim_token: Mapped[uuid.UUID | None]
    # Runs started; a job whose runs keep dying fails after IMPORT_MAX_ATTEMPTS.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = now_column()
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
