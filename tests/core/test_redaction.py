"""Personal data and secrets are taken out of log text (core.infra.redaction): a table of inputs and
what is left of them, a table of lines that must stay as they are, properties over any
spelling of a phone, every rule's cost on hostile text, and cuts that leave no half secret."""

from __future__ import annotations

import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.redaction import NEAR_MISSES
from core.infra.redaction import API_KEY_PREFIX, RULES, redact, redact_cut

pytestmark = pytest.mark.no_db

JWT = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImFiYyJ9.eyJzdWIiOiIxMjMiLCJleHAiOjE3MDAwMDAwMDB9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"

REDACTED = [
    # Phones, Russian spellings.
    ("+79161234567", "[phone]"),
    ("89161234567", "[phone]"),
    ("79161234567", "[phone]"),
    ("9161234567", "[phone]"),
    ("+7 (916) 123-45-67", "[phone]"),
    ("+7(916)123-45-67", "[phone]"),
    ("8 (916) 123-45-67", "[phone]"),
    ("8-916-123-45-67", "[phone]"),
    ("8 916 123 45 67", "[phone]"),
    ("916 123-45-67", "[phone]"),
    ("+7\u00a0916\u00a0123\u00a045\u00a067", "[phone]"),
    ("OTP sent to +79161234567, expires in 300 s", "OTP sent to [phone], expires in 300 s"),
    ("tel:89161234567;", "tel:[phone];"),
    ("Key (phone)=(+79161234567) already exists.", "Key (phone)=([phone]) already exists."),
    ("+375291234567", "[phone]"),
    # Phones in query strings, percent-encoded or with `+` for a space.
    ('"GET /crm/v1/clients?q=%2B79161234567 HTTP/1.1" 200', '"GET /crm/v1/clients?q=[redacted] HTTP/1.1" 200'),
    ("/crm/v1/clients?status=active&q=8%20916%20123-45-67&limit=20",
     "/crm/v1/clients?status=active&q=[redacted]&limit=20"),
    ("/crm/v1/clients?phone=%2B7%20(916)%20123-45-67", "/crm/v1/clients?phone=[redacted]"),
    ("/x?to=%2B7%28916%29123-45-67", "/x?to=[phone]"),
    ("/x?to=8%20916%20123%2045%2067", "/x?to=[phone]"),
    ("/x?to=+7+916+123-45-67", "/x?to=[phone]"),
    ("/x?to=%2B79161234567%2C%2B79161234568", "/x?to=[phone]%2C[phone]"),
    # E-mail addresses.
    ("ivan.petrov@mail.ru", "[email]"),
    ("staff admin@komfort.demo logged in.", "staff [email] logged in."),
    ("/x?to=ivan.petrov%40mail.ru&y=1", "/x?to=[email]&y=1"),
    ("иван@почта.рф", "[email]"),
    ("/crm/v1/clients?email=ivan%40mail.ru", "/crm/v1/clients?email=[redacted]"),
    # Bearer, JWT, refresh tokens, API keys, push tokens.
    (f"Authorization: Bearer {JWT}", "Authorization: [secret]"),
    (f"sent Bearer {JWT} upstream", "sent Bearer [token] upstream"),
    ("bearer opaque-admin-token-0123456789", "Bearer [token]"),
    (f"token {JWT} expired", "token [token] expired"),
    ("refresh with rt_q0T3mZ8vX1yLw2Kp_9aB-cD4eF5gH6iJ7kL8mN9oP0q", "refresh with [token]"),
    (f"key {API_KEY_PREFIX}Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf0Ed", "key [api-key]"),
    ("device cXyZ012345:APA91bHun4MxP5egoKMwt2KZFBaFUH-1RYqx8", "device [token]"),
    # Secrets as key=value, in JSON and in Python reprs.
    ("password=hunter2 user=ivan", "password=[secret] user=ivan"),
    ("login failed: password: hunter2", "login failed: password: [secret]"),
    ("PLATFORM_ADMIN_TOKEN=abc123def", "PLATFORM_ADMIN_TOKEN=[secret]"),
    ("client_secret=s3cr3t&grant=x", "client_secret=[secret]&grant=x"),
    ("/app/v1/x?access_token=abc.def&y=1", "/app/v1/x?access_token=[secret]&y=1"),
    ('{"email": "a@b.ru", "password": "hunter2", "status": "ok"}',
     '{"email": "[email]", "password": "[secret]", "status": "ok"}'),
    ('{"refresh_token": "rt_abcdefgh12345678", "expires_in": 900}', '{"refresh_token": "[secret]", "expires_in": 900}'),
    ("{'new_password': 'with space', 'token': None}", "{'new_password': \"[secret]\", 'token': \"[secret]\"}"),
    ('{"phone": "+79161234567", "code": "1234"}', '{"phone": "[phone]", "code": "[secret]"}'),
    ('{"debug_code": 482913}', '{"debug_code": "[secret]"}'),
    ("code=4821 accepted", "code=[secret] accepted"),
    ("Код для входа в приложение: 1234", "Код для входа в приложение: [secret]"),
    # Error text with the statement's values (SQLAlchemy).
    ("(IntegrityError) duplicate\n[SQL: INSERT INTO client (phone, name) VALUES ($1, $2)]\n"
     "[parameters: ('+79161234567', 'Иванова Анна')]\n(Background on this error at: https://sqlalche.me/e/20/gkpj)",
     "(IntegrityError) duplicate\n[SQL: INSERT INTO client (phone, name) VALUES ($1, $2)]\n"
     "[parameters: [redacted]]\n(Background on this error at: https://sqlalche.me/e/20/gkpj)"),
]

KEPT = [
    "unhandled error (request 7916123456789abcdef0123456789ab)",
    "request 79161234567abcdef0123456789abcd",
    "2026-11-24 21:19:42,123 INFO web.errors: integrity conflict (request req-42): UniqueViolationError",
    "job 81234567-1234-5678-9012-345678901234 failed",
    "took 1732464000123 ms",
    '{"code": "permission_required", "status": 403}',
    "status code=404",
    "import batch retried after 40001 (attempt 2)",
    "push batch: {'sent': 500, 'failed': 0}",
    "could not fetch an FCM token for brand-a yet: timeout",
    "amount due 12345.67 for period 2026-10-01",
    '127.0.0.1:41480 - "GET /crm/v1/premises?object_id=5&limit=50 HTTP/1.1" 200',
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_personal_data_and_secrets_are_redacted(text, expected):
    assert redact(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_log_text_is_kept(text):
    assert redact(text) == text


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_redaction_is_idempotent(text, expected):
    assert redact(expected) == expected


_SEPARATORS = st.sampled_from(["", "", " ", "-", "(", ")", "%20", "%28", "%29", "\u00a0", " ("])


@given(national=st.from_regex(r"9[0-9]{9}", fullmatch=True),
       prefix=st.sampled_from(["+7", "8", "7", "%2B7", "", "+7 ", "8 "]),
       separators=st.lists(_SEPARATORS, min_size=9, max_size=9),
       before=st.sampled_from(["", "phone ", "q=", "to: ", "(", "\n", "клиент "]),
       after=st.sampled_from(["", " ", ",", "&limit=5", ")", ".", " ok"]))
def test_any_spelling_of_a_russian_mobile_leaves_no_digits(national, prefix, separators, before, after):
    written = national[0] + "".join(sep + digit for sep, digit in zip(separators, national[1:]))
    text = f"{before}{prefix}{written}{after}"
    left = re.sub(r"\D", "", redact(text).replace("%20", "").replace("%28", "").replace("%29", ""))
    assert national[3:] not in left, (text, redact(text))


@given(st.text(max_size=200))
def test_redaction_never_fails_and_is_stable(text):
    once = redact(text)
    assert redact(once) == once


# Hostile text: every rule runs in linear time (bench/redaction.py prints the figures).
_BATTERY = """
from bench.redaction import adversarial_texts
from core.infra.redaction import RULES

for rule in RULES:
    for _, text in adversarial_texts(rule, 100_000, follow=("a", " ", "-", "%20", "token", "a@")):
        rule.apply(text)
    print(rule.name, flush=True)
"""
# A linear rule goes through its ~100 inputs of 100 KB in well under a second; a quadratic one
# takes seconds on each of its worst inputs, minutes in all.
RULE_DEADLINE_SECONDS = 20


def test_every_rule_has_adversarial_inputs():
    assert set(NEAR_MISSES) == {rule.name for rule in RULES}
    assert len({rule.name for rule in RULES}) == len(RULES)


def test_every_rule_finishes_on_100_kb_of_adversarial_text():
    """Each rule, in a process of its own, is fed 100 KB runs of the characters its repeated
    parts accept, separators and near-misses; a rule that has not finished them within a
    deadline no linear rule comes near is reported by name (the e-mail rule of old took 23 s on
    48 KB of `%20`)."""
    process = subprocess.Popen([sys.executable, "-c", _BATTERY], stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).resolve().parents[2])
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line.strip()) for line in process.stdout], daemon=True)
    reader.start()
    try:
        for rule in RULES:
            try:
                finished = lines.get(timeout=RULE_DEADLINE_SECONDS)
            except queue.Empty:
                pytest.fail(f"rule {rule.name!r} did not finish its adversarial inputs in {RULE_DEADLINE_SECONDS} s")
            assert finished == rule.name
    finally:
        process.kill()
        process.wait()


SECRETS_TEXT = ('request 42 failed: {"password": "correct horse battery staple", "code": "482913"} '
                "phone +7 (916) 123-45-67, mail ivan.petrov@mail.ru, token " + JWT + "\n"
                "[parameters: ('Иванова Анна', 'Петрова Мария')]\nКод для входа в приложение: 123456 done")
SECRET_PIECES = ["correct", "horse", "battery", "staple", "482913", "916", "123-45", "45-67", "ivan", "petrov",
                 "mail.ru", "eyJ", "Иванова", "Петрова", "123456"]


@pytest.mark.parametrize("limit", range(0, len(SECRETS_TEXT) + 2))
def test_a_cut_never_lets_a_secret_through_half_redacted(limit):
    """The text is cut before redaction (its cost stays bounded), at any place: what is left of a
    secret the cut went through is redacted or dropped, never shown."""
    cut = redact_cut(SECRETS_TEXT, limit)
    shown = cut.split("… [")[0]
    assert not [piece for piece in SECRET_PIECES if piece in shown], cut
    if limit >= len(SECRETS_TEXT):
        assert cut == redact(SECRETS_TEXT)
    else:
        assert cut.endswith("characters cut]")
