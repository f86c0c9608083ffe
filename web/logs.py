"""Logging set-up: one format, and every record redacted (core.infra.redaction) before any handler sees
it (README: Architecture, behind the modules)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime, timezone

from litestar.types import Scope

from core.infra.redaction import redact, redact_cut

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_PLAIN_ARGS = (str, int, float, bool, type(None))
_exceptions = logging.Formatter()
MESSAGE_LIMIT = 8 * 1024
TEXT_LIMIT = 64 * 1024


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    """Redact `record` in place (once) and return it."""
    if getattr(record, "redacted", False):
        return record
    record.redacted = True
    try:
        _redact_message(record)
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            # Formatters print `exc_text` when it is set instead of rendering `exc_info` again.
            record.exc_text = redact_cut(_exceptions.formatException(record.exc_info), TEXT_LIMIT)
        elif record.exc_text:
            record.exc_text = redact_cut(record.exc_text, TEXT_LIMIT)
        if record.stack_info:
            record.stack_info = redact_cut(record.stack_info, TEXT_LIMIT)
    except Exception:
        # A record that cannot be redacted is not written as it was.
        record.msg, record.args = "log record withheld: it could not be redacted", None
        record.exc_info = record.exc_text = record.stack_info = None
    return record


def _redact_message(record: logging.LogRecord) -> None:
    message = record.getMessage()
    if len(message) > MESSAGE_LIMIT:
        record.msg, record.args = redact_cut(message, MESSAGE_LIMIT), None
        return
    clean = redact(message)
    if clean == message:
        return
    args = record.args
    # Keep the arguments' shape where it is plain (uvicorn's access formatter unpacks them),
    # as long as redacting them one by one gives the same line.
    if isinstance(record.msg, str) and isinstance(args, tuple) and args and all(isinstance(a, _PLAIN_ARGS) for a in args):
        shaped = tuple(redact(a) if isinstance(a, str) else a for a in args)
        msg = redact(record.msg)
        try:
            if msg % shaped == clean:
                record.msg, record.args = msg, shaped
                return
        except (TypeError, ValueError):
            pass
    record.msg, record.args = clean, None


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_undo: Callable[[], None] | None = None


def install_redaction() -> None:
    """Make every new log record a redacted one and filter the root handlers (idempotent)."""
    global _undo
    if _undo is not None:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args, **kwargs) -> logging.LogRecord:
        return redact_record(previous(*args, **kwargs))

    logging.setLogRecordFactory(factory)
    redacting = RedactingFilter()
    handlers = list(logging.getLogger().handlers)
    for handler in handlers:
        handler.addFilter(redacting)

    def undo() -> None:
        logging.setLogRecordFactory(previous)
        for handler in handlers:
            handler.removeFilter(redacting)

    _undo = undo


def uninstall_redaction() -> None:
    """Put back what install_redaction() changed (tests share one process)."""
    global _undo
    if _undo is not None:
        _undo()
        _undo = None


# The ASGI scope of the request being served (web/deps.session_middleware sets it): JSON records
# name its request id, route template and partner.
request_scope: ContextVar[Scope | None] = ContextVar("log_request_scope", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message (redacted like every record), and of
    the request being served its id, route template and partner id; never personal data."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage()}
        scope = request_scope.get()
        if scope is not None:
            from web.problems import request_id_of

            entry["request_id"] = request_id_of(scope)
            if scope.get("path_template"):
                entry["route"] = f"{scope.get('method', '')} {scope['path_template']}".strip()
            partner = (scope.get("state") or {}).get("partner_id")
            if partner:
                entry["partner_id"] = partner
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str, log_format: str = "text") -> None:
    """The root logger's one handler: text lines, or JSON objects (LOG_FORMAT=json)."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(FORMAT))
    logging.basicConfig(level=level.upper(), handlers=[handler])
    install_redaction()
