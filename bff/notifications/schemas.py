"""Answers of the notifications inbox: its items, the keyset cursor, the unread count and how many were marked read."""

from __future__ import annotations

from datetime import datetime

from web.schemas import Output


class InboxItem(Output, kw_only=True):
    id: str
    type: str
    title: str
    body: str
    deep_link: str | None = None
    premise_id: str | None = None
    read: bool
    created_at: datetime


class Inbox(Output, kw_only=True):
    items: list[InboxItem]
    next_cursor: str | None = None
    unread: int


class MarkedRead(Output, kw_only=True):
    marked: int
