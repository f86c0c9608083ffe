"""The declarative base of every model (constraint naming, eager server defaults, timezone-aware times)
and the shared id and timestamp columns."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, MetaData, func, text
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # Server-side defaults (ids, timestamps) come back with the INSERT/UPDATE itself, so reading
    # them after a flush never triggers a lazy load, which async sessions forbid.
    __mapper_args__ = {"eager_defaults": True}
    type_annotation_map = {datetime: DateTime(timezone=True), uuid.UUID: UUID(as_uuid=True)}


def uuid_pk() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4, server_default=text("gen_random_uuid()"))


def now_column() -> Mapped[datetime]:
    return mapped_column(server_default=func.clock_timestamp())


def updated_column() -> Mapped[datetime]:
    return mapped_column(server_default=func.clock_timestamp(), onupdate=func.clock_timestamp())
