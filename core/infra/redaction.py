"""Redacts personal data and secrets from text before it is logged, in time linear in the text
(README: Architecture, behind the modules)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

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
CUT = "… [{} characters cut]"

# Words in key names whose values are secrets wherever they appear (JSON, Python reprs,
# key=value, query strings): passwords, tokens, secrets, API keys, authorization values. A key
# is the whole run of letters around one of them; the look-ahead finds the word without
# backtracking over the run from each of its letters.
_SECRET_WORD = r"(?:password|passwd|token|secret|api_?key|authorization)"
_SECRET_KEY = rf"(?=[A-Za-z_]*?{_SECRET_WORD})[A-Za-z_]++"
# OTP codes: only a numeric value is taken, so that error codes ("code": "not_found") stay.
_CODE_KEY = r"[A-Za-z_]*code"
# Query parameters that carry what a person typed into a search or a form.
_QUERY_KEY = r"q|query|search|phone|email|name"
# The characters of tokens (base64url and the like).
_TOKEN_CHARS = r"[A-Za-z0-9_-]"

# A separator inside a written phone: spaces, dashes, brackets, plain or percent-encoded, and
# `+` (a space in a query string).
_SEP = r"(?:[\s\-()\u00a0]|%20|%28|%29|%2[dD]|\+)"


def _parameters(match: re.Match[str]) -> str:
    # The bound values run to the last "]" of the line; a line cut before it is redacted whole.
    line = match.group()
    end = line.rfind("]")
    return PARAMETERS + (line[end + 1:] if end >= 0 else "")


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    replacement: str | Callable[[re.Match[str]], str]

    def apply(self, text: str) -> str:
        return self.pattern.sub(self.replacement, text)


RULES: tuple[Rule, ...] = (
    # SQLAlchemy's error text repeats the statement's bound values: any of them may be personal.
    Rule("sql-parameters", re.compile(r"\[parameters: [^\n]*+"), _parameters),
    # JSON and Python reprs: "password": "…", 'token': '…', "code": 1234. A quoted value the
    # text ends in (a cut line) is a value too.
    Rule("json-secret", re.compile(
        rf"""(?i)(["']{_SECRET_KEY}["']\s*+:\s*+)"""
        r"""(?:"(?:[^"\\]|\\.)*+(?:"|\Z)|'(?:[^'\\]|\\.)*+(?:'|\Z)|[^\s,}\]]+)"""),
        rf'\1"{SECRET}"'),
    Rule("json-code", re.compile(
        rf"""(?i)(["']{_CODE_KEY}["']\s*+:\s*+)(?:"\d{{4,8}}"|'\d{{4,8}}'|\d{{4,8}}(?!\d))"""),
        rf'\1"{SECRET}"'),
    # key=value and key: value (logs, query strings, headers).
    Rule("secret-value", re.compile(
        rf"(?i)\b({_SECRET_KEY})(\s*+[=:]\s*+)(?!\[)(?:bearer\s++)?[^\s&,;\"')]+"), rf"\1\2{SECRET}"),
    Rule("code-value", re.compile(rf"(?i)\b({_CODE_KEY})(\s*+[=:]\s*+)\d{{4,8}}(?!\d)"), rf"\1\2{SECRET}"),
    Rule("query-value", re.compile(rf"(?i)([?&](?:{_QUERY_KEY})=)[^&\s\"'#]+"), rf"\1{REDACTED}"),
    # The SMS text of a login code («Код для входа в приложение: 1234»).
    Rule("sms-code", re.compile(r"(?i)(\bкод\b[^\d\n]{0,40}?)\d{4,8}(?!\d)"), rf"\1{SECRET}"),
    # Tokens wherever they stand.
    Rule("bearer", re.compile(r"(?i)\bbearer\s++[A-Za-z0-9._~+/=-]{8,}"), f"Bearer {TOKEN}"),
    # A JWT: three dot-separated base64url runs, the first of them holding the header's "eyJ".
    Rule("jwt", re.compile(rf"(?<!{_TOKEN_CHARS})(?={_TOKEN_CHARS}*?eyJ){_TOKEN_CHARS}++\."
                           rf"{_TOKEN_CHARS}++\.{_TOKEN_CHARS}*+"), TOKEN),
    Rule("refresh-token", re.compile(rf"\b{REFRESH_TOKEN_PREFIX}{_TOKEN_CHARS}{{8,}}+"), TOKEN),
    Rule("api-key", re.compile(rf"\b{API_KEY_PREFIX}{_TOKEN_CHARS}{{8,}}+"), API_KEY),
    # FCM registration tokens ("<instance id>:APA91b…").
    Rule("fcm-token", re.compile(rf"(?<!{_TOKEN_CHARS}){_TOKEN_CHARS}{{8,}}+:APA91{_TOKEN_CHARS}{{20,}}+"), TOKEN),
    # E-mail addresses, "@" plain or percent-encoded. The local part starts where its run of
    # characters starts, so that a long run without an "@" is read once, not once per character.
    Rule("email", re.compile(r"(?<![\w.%+-])[\w.%+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}"), EMAIL),
    # Russian phones: +7 / 7 / 8 and ten digits, separators anywhere between the digits; not a
    # part of a longer run of letters and digits (a request id), but right after a
    # percent-encoded byte (`%20`) it is.
    Rule("phone", re.compile(rf"(?:(?:\+|%2[bB])7|(?:(?<=%[0-9A-Fa-f]{{2}})|(?<![0-9A-Za-z_%+]))[78])"
                             rf"{_SEP}{{0,3}}(?:\d{_SEP}{{0,3}}){{9}}\d(?![0-9A-Za-z_])"), PHONE),
    # A mobile number without its country prefix (9XX …), as search boxes and forms take it.
    Rule("mobile", re.compile(rf"(?<![0-9A-Za-z_%+])9{_SEP}{{0,3}}(?:\d{_SEP}{{0,3}}){{8}}\d(?![0-9A-Za-z_])"),
         PHONE),
    # Any other international number written in E.164.
    Rule("e164", re.compile(r"(?:\+|%2[bB])[1-9]\d{9,13}(?!\d)"), PHONE),
)

# What may be the beginning of a secret at the end of a cut text, read backwards from the cut:
# the last word (up to a space, "&", "," or ";", which no rule's secret runs across but a quoted
# value, redacted when left open), and a run of digits and phone separators before it
# ("+7 916 123" of a phone cut short). Read on the reversed text, so one anchored match finds
# it in linear time.
_CUT_TAIL_REVERSED = re.compile(r"[^\s&,;]*+(?:[\d+\s\-()\u00a0]|02%|82%|92%|[dD]2%)*+")
def redact(text: str) -> str:
    """`text` with personal data and secrets replaced by markers such as `[phone]`."""
    for rule in RULES:
        text = rule.apply(text)
    return text


def redact_cut(text: str, limit: int) -> str:
    """`text` redacted, cut to about `limit` characters first when longer (the cost of
    redaction stays bounded, whatever a caller sent). The cut never leaves the beginning of a
    secret its rule would only recognise whole: the last word before the cut (and a run of
    digits and separators before it) goes too, and a JSON value or SQL parameters the cut left
    open are redacted to the end."""
    if len(text) <= limit:
        return redact(text)
    head = text[:limit]
    head = head[:limit - _CUT_TAIL_REVERSED.match(head[::-1]).end()]
    return redact(head) + CUT.format(len(text) - len(head))
