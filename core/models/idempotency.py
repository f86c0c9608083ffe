"""The model of stored first answers to requests sent with an `Idempotency-Key`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, now_column


class IdempotencyRecord(Base):
    """The first answer to a creating request sent with an `Idempotency-Key` (web/idempotency.py),
    written in that request's own transaction, so a retry gets it back and creates nothing."""

    __tablename__ = "idempotency_record"
    # Who sent it and to which operation: "staff:<id>:CreateOrder", "session:<id>:AddPerson", ...
    scope: Mapped[str] = mapped_column(String(200), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(SmallInteger)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = now_column()

    __table_args__ = (Index("ix_idempotency_record_created_at", "created_at"),)
