"""Personal data and secrets taken out of text that leaves the process as logs: phone numbers,
e-mail addresses, bearer/JWT/refresh tokens, partner API keys, push tokens, and secret values
written as key=value or JSON. Query strings are read too, so percent-encoded values
(`q=%2B7916…`, `ivan%40mail.ru`) are caught as well.

Over-redacting a log line is cheap; leaking one phone is not, so the patterns lean wide (an
11-digit number starting with 7 or 8 is taken for a phone)."""

from __future__ import annotations

import re

# The prefixes the project gives its opaque secrets: refresh tokens (core.auth.service) and
# partner API keys (core.partners.service.API_KEY_PREFIX). Tests check they still agree.
REFRESH_TOKEN_PREFIX = "rt_"
API_KEY_PREFIX = "pk_"

PHONE = "[phone]"
EMAIL = "[email]"
TOKEN = "[token]"
API_KEY = "[api-key]"
SECRET = "[secret]"
REDACTED = "[redacted]"
PARAMETERS = "[parameters: [redacted]]"

# Key names whose values are secrets wherever they appear (JSON, Python reprs, key=value,
# query strings): passwords, tokens, secrets, API keys, authorization values.
_SECRET_KEY = r"[A-Za-z_]*(?:password|passwd|token|secret|api_?key|authorization)[A-Za-z_]*"
# OTP codes: only a numeric value is taken, so that error codes ("code": "not_found") stay.
_CODE_KEY = r"[A-Za-z_]*code"
# Query parameters that carry what a person typed into a search or a form.
_QUERY_KEY = r"q|query|search|phone|email|name"

# A separator inside a written phone: spaces, dashes, brackets, plain or percent-encoded, and
# `+` (a space in a query string).
_SEP = r"(?:[\s\-()\u00a0]|%20|%28|%29|%2[dD]|\+)"

_RULES: list[tuple[re.Pattern[str], str]] = [
    # SQLAlchemy's error text repeats the statement's bound values: any of them may be personal.
    (re.compile(r"\[parameters: [^\n]*\]"), PARAMETERS),
    # JSON and Python reprs: "password": "…", 'token': '…', "code": 1234.
    (re.compile(rf"""(?i)(["'](?:{_SECRET_KEY})["']\s*:\s*)(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,}}\]]+)"""),
     rf'\1"{SECRET}"'),
    (re.compile(rf"""(?i)(["'](?:{_CODE_KEY})["']\s*:\s*)(?:"\d{{4,8}}"|'\d{{4,8}}'|\d{{4,8}}(?!\d))"""),
     rf'\1"{SECRET}"'),
    # key=value and key: value (logs, query strings, headers).
    (re.compile(rf"(?i)\b({_SECRET_KEY})(\s*[=:]\s*)(?!\[)(?:bearer\s+)?[^\s&,;\"')]+"), rf"\1\2{SECRET}"),
    (re.compile(rf"(?i)\b({_CODE_KEY})(\s*[=:]\s*)\d{{4,8}}(?!\d)"), rf"\1\2{SECRET}"),
    (re.compile(rf"(?i)([?&](?:{_QUERY_KEY})=)[^&\s\"'#]+"), rf"\1{REDACTED}"),
    # The SMS text of a login code («Код для входа в приложение: 1234»).
    (re.compile(r"(?i)(\bкод\b[^\d\n]{0,40}?)\d{4,8}(?!\d)"), rf"\1{SECRET}"),
    # Tokens wherever they stand.
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{8,}"), f"Bearer {TOKEN}"),
    (re.compile(r"\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), TOKEN),
    (re.compile(rf"\b{REFRESH_TOKEN_PREFIX}[A-Za-z0-9_-]{{8,}}"), TOKEN),
    (re.compile(rf"\b{API_KEY_PREFIX}[A-Za-z0-9_-]{{8,}}"), API_KEY),
    # FCM registration tokens ("<instance id>:APA91b…").
    (re.compile(r"[A-Za-z0-9_-]{8,}:APA91[A-Za-z0-9_-]{20,}"), TOKEN),
    # E-mail addresses, "@" plain or percent-encoded.
    (re.compile(r"[\w.%+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}"), EMAIL),
    # Russian phones: +7 / 7 / 8 and ten digits, separators anywhere between the digits; not a
    # part of a longer run of letters and digits (a request id), but right after a
    # percent-encoded byte (`%20`) it is.
    (re.compile(rf"(?:(?:\+|%2[bB])7|(?:(?<=%[0-9A-Fa-f]{{2}})|(?<![0-9A-Za-z_%+]))[78])"
                rf"{_SEP}{{0,3}}(?:\d{_SEP}{{0,3}}){{9}}\d(?![0-9A-Za-z_])"), PHONE),
    # A mobile number without its country prefix (9XX …), as search boxes and forms take it.
    (re.compile(rf"(?<![0-9A-Za-z_%+])9{_SEP}{{0,3}}(?:\d{_SEP}{{0,3}}){{8}}\d(?![0-9A-Za-z_])"), PHONE),
    # Any other international number written in E.164.
    (re.compile(r"(?:\+|%2[bB])[1-9]\d{9,13}(?!\d)"), PHONE),
]


def redact(text: str) -> str:
    """`text` with personal data and secrets replaced by markers such as `[phone]`."""
    for pattern, replacement in _RULES:
        text = pattern.sub(replacement, text)
    return text
