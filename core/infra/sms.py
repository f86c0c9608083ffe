"""SMS providers (debug, webhook, disabled) and the journal of sent messages, secrets masked.

`debug` records messages (and lets the OTP answer carry the code); `webhook` posts them to an SMS
gateway; `disabled` refuses to send. The journal (`sms_message`) never holds a secret a message
carries (a login code): it keeps the text with the secret masked."""

from __future__ import annotations

import json
import logging
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import ErrorCode, ServiceUnavailable
from core.models import SmsMessage
from core.infra.settings import Settings


# The problem codes of sending SMS.
SmsCode = ErrorCode.table("SmsCode", __name__, {
    ServiceUnavailable: "sms_unavailable sms_disabled",
})


log = logging.getLogger(__name__)


class SmsProvider(Protocol):
    name: str
    reveals_codes: bool

    async def send(self, db: AsyncSession, phone: str, text: str, *, secret: str | None = None,
                   idempotency_key: str | None = None) -> None:
        """Send `text`; `secret` is the part of it (a login code) that no journal may keep;
        `idempotency_key` names a message that may be sent again (a mailing's recipient)."""


def journal_text(text: str, secret: str | None) -> str:
    """The text as the journal keeps it: the secret replaced by asterisks."""
    return text.replace(secret, "*" * len(secret)) if secret else text


class DebugSmsProvider:
    name = "debug"
    reveals_codes = True

    async def send(self, db: AsyncSession, phone: str, text: str, *, secret: str | None = None,
                   idempotency_key: str | None = None) -> None:
        db.add(SmsMessage(phone=phone, text=journal_text(text, secret), provider=self.name, status="recorded"))
        await db.flush()


class WebhookSmsProvider:
    """Posts `{"phone", "text"}` as JSON to the gateway URL; a message that may be sent again
    (a mailing's recipient) also carries its idempotency key, as the `Idempotency-Key` header
    and an `idempotency_key` field, so the gateway sends it once."""

    name = "webhook"
    reveals_codes = False

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self._url = url
        self._timeout = timeout
        # Threads of its own: a gateway that hangs must not take the loop's default pool, on
        # which the FCM transport sends pushes.
        self._threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="sms")

    async def send(self, db: AsyncSession, phone: str, text: str, *, secret: str | None = None,
                   idempotency_key: str | None = None) -> None:
        import asyncio

        payload = {"phone": phone, "text": text}
        headers = {"Content-Type": "application/json"}
        if idempotency_key:
            payload["idempotency_key"] = headers["Idempotency-Key"] = idempotency_key
        request = urllib.request.Request(self._url, data=json.dumps(payload).encode(), headers=headers)
        try:
            # The socket timeout bounds each read; the outer one bounds a gateway that answers a
            # byte at a time (the thread then ends at its next socket timeout).
            async with asyncio.timeout(self._timeout + 1):
                await asyncio.get_running_loop().run_in_executor(self._threads, _post, request, self._timeout)
        except (OSError, TimeoutError) as exc:
            log.warning("SMS gateway failed: %s", exc)
            raise ServiceUnavailable("Не удалось отправить SMS, попробуйте позже", code=SmsCode.SMS_UNAVAILABLE) from exc
        db.add(SmsMessage(phone=phone, text=journal_text(text, secret), provider=self.name, status="sent"))
        await db.flush()


class DisabledSmsProvider:
    name = "disabled"
    reveals_codes = False

    async def send(self, db: AsyncSession, phone: str, text: str, *, secret: str | None = None,
                   idempotency_key: str | None = None) -> None:
        raise ServiceUnavailable("Отправка SMS не настроена", code=SmsCode.SMS_DISABLED)


def _post(request: urllib.request.Request, timeout: float) -> None:
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        answer.read()


def make_sms_provider(settings: Settings) -> SmsProvider:
    """The configured provider, said in the log at start-up: loudly when it hands out codes."""
    name = settings.sms_provider_name
    if name == "debug":
        log.warning("SMS_PROVIDER=debug (APP_ENV=%s%s): login codes are not sent but handed to whoever asks in the "
                    "OTP answer's debug_code, so anyone can log in as anyone; never expose this server",
                    settings.environment, ", embedded database" if not settings.database_url else "")
        return DebugSmsProvider()
    if name == "webhook" and settings.sms_webhook_url:
        return WebhookSmsProvider(settings.sms_webhook_url, settings.sms_timeout_seconds)
    if settings.sms_provider is None:
        log.warning("SMS_PROVIDER is unset and APP_ENV does not choose a development environment: SMS (login "
                    "codes included) is disabled; set SMS_PROVIDER=webhook and SMS_WEBHOOK_URL")
    return DisabledSmsProvider()
