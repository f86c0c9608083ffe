"""SMS providers. `debug` records messages (and lets the OTP answer carry the code);
`webhook` posts them to an SMS gateway; `disabled` refuses to send."""

from __future__ import annotations

import json
import logging
import urllib.request
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ServiceUnavailable
from core.models import SmsMessage

log = logging.getLogger(__name__)


class SmsProvider(Protocol):
    name: str
    reveals_codes: bool

    async def send(self, db: AsyncSession, phone: str, text: str) -> None: ...


class DebugSmsProvider:
    name = "debug"
    reveals_codes = True

    async def send(self, db: AsyncSession, phone: str, text: str) -> None:
        db.add(SmsMessage(phone=phone, text=text, provider=self.name, status="recorded"))
        await db.flush()


class WebhookSmsProvider:
    """Posts `{"phone", "text"}` as JSON to the gateway URL."""

    name = "webhook"
    reveals_codes = False

    def __init__(self, url: str) -> None:
        self._url = url

    async def send(self, db: AsyncSession, phone: str, text: str) -> None:
        import asyncio

        body = json.dumps({"phone": phone, "text": text}).encode()
        request = urllib.request.Request(self._url, data=body, headers={"Content-Type": "application/json"})
        try:
            await asyncio.to_thread(urllib.request.urlopen, request, timeout=10)
        except OSError as exc:
            log.warning("SMS gateway failed: %s", exc)
            raise ServiceUnavailable("Не удалось отправить SMS, попробуйте позже", code="sms_unavailable") from exc
        db.add(SmsMessage(phone=phone, text=text, provider=self.name, status="sent"))
        await db.flush()


class DisabledSmsProvider:
    name = "disabled"
    reveals_codes = False

    async def send(self, db: AsyncSession, phone: str, text: str) -> None:
        raise ServiceUnavailable("Отправка SMS не настроена", code="sms_disabled")


def make_sms_provider(name: str, webhook_url: str | None) -> SmsProvider:
    if name == "debug":
        return DebugSmsProvider()
    if name == "webhook" and webhook_url:
        return WebhookSmsProvider(webhook_url)
    return DisabledSmsProvider()
