"""What a worker hands to a transport, and what it gets back.

Two transports: FCM through firebase-admin (push/fcm.py), and the recorder used when no credentials
are configured (PUSH-08)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Protocol

from push.rules import Outcome

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutgoingPush:
    delivery_id: uuid.UUID
    message_id: uuid.UUID  # our notification id: the Android tag and the APNs collapse id
    token: str
    app_id: str
    platform: str
    type: str
    title: str
    body: str
    deep_link: str | None
    brand: str | None
    premise_id: uuid.UUID | None
    data: dict[str, str] = field(default_factory=dict)

    def payload_data(self) -> dict[str, str]:
        """The data every push carries (deep link, type, brand, premise); FCM wants strings."""
        values = {**self.data, "notification_id": str(self.message_id), "type": self.type}
        if self.deep_link:
            values["deep_link"] = self.deep_link
        if self.brand:
            values["brand"] = self.brand
        if self.premise_id:
            values["premise_id"] = str(self.premise_id)
        return values


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome | str  # sent | retry | drop_token | failed | halt | recorded
    fcm_message_id: str | None = None
    error: str | None = None
    retry_after: float | None = None
    # FCM may have taken the message although we got no answer (timeout): a resend.
    ambiguous: bool = False


class Transport(Protocol):
    """May also offer `prepare(batch)`: called with a claimed batch before its send, while the
    batch before it is still out, to make its messages ahead."""

    name: str

    async def send(self, batch: list[OutgoingPush]) -> list[SendResult]: ...

    async def close(self) -> None: ...


class RecordingTransport:
    """No FCM credentials: every push is recorded with its payload and marked `recorded`, so a
    development server and staff still see what would have gone out."""

    name = "recorded"

    def __init__(self) -> None:
        log.warning("FCM is not configured (FCM_CREDENTIALS is unset): pushes are recorded, not sent")

    async def send(self, batch: list[OutgoingPush]) -> list[SendResult]:
        return [SendResult("recorded") for _ in batch]

    async def close(self) -> None:
        return None
