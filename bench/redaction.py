"""Log redaction on hostile text (core/infra/redaction.py): every rule on adversarial inputs of 10 KB
and 100 KB, the worst case per rule in ms, and whether its cost grows linearly.

    python -m bench redaction
    BENCH_REDACTION_KB=1000 python -m bench redaction     # a bigger input

The inputs (`adversarial_texts`) are long runs of the characters each rule's repeated parts
accept, their separators, and near-misses: the beginning of a match repeated, or one beginning
followed by a run that never completes it. tests/core/test_redaction.py runs the same inputs.
Verdict per rule: `linear` when the 100 KB worst case costs at most 25 times the 10 KB one (a
quadratic rule costs about 100 times as much) and stays under 100 ms."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

from core.infra.redaction import RULES, Rule

# Runs any rule is fed: single characters and short units of the classes the rules repeat
# (words, digits, token characters, percent-encoded bytes, separators, quotes, brackets).
COMMON_UNITS = (
    "a", "Z", "1", "7", "8", "9", "_", "-", ".", " ", "\n", "+", "%", "@", "'", '"', ":", "=", "[", "]", "(",
    "\u00a0", "я", "%20", "%40", "%2B", "%2B7", "a.", "a-", "a_", "1.", "a@", "a%40", "a:", "7 ", "8-", "9%20",
    "1-", "(1)", "a1", "a b", "a=", "a,", "a&", "?q=",
)

# What follows a near-miss below: runs that could continue a match, and runs that end one.
FOLLOW_UNITS = ("a", "1", " ", "-", ".", "_", "%20", "a.", "a-", "\n", '"', "a@", "token", "code")

# The beginnings of each rule's matches and their near-misses: each is repeated, and also put
# once before a long run of each follow unit.
NEAR_MISSES: dict[str, tuple[str, ...]] = {
    "sql-parameters": ("[parameters: ", "[parameters: (", "[parameters: ]"),
    "json-secret": ('"password"', "'token", '"password": "', "'token': '", '"password": "\\', "'", '"', '"passwordtoken',
                    '"password" ', '"password":', 'xpassword"'),
    "json-code": ('"code"', '"code": "', '"codecode', "'code': 12", '"code": 123'),
    "secret-value": ("password", "password=", "passwordpassword", "password ", "password = bearer ", "token:",
                     "api_key", "secret_"),
    "code-value": ("code", "code=", "codecode", "code = ", "code=123"),
    "query-value": ("?q=", "&q", "?query", "&name="),
    "sms-code": ("код ", "код", "код: ", "код" + "x" * 39),
    "bearer": ("bearer ", "bearer", "Bearer abc ", "bearer\n"),
    "jwt": ("eyJ", "eyJ-", "eyJa.", "eyJa.b", "eyJ.", "a-eyJ", "eyJa..", "x.eyJ"),
    "refresh-token": ("rt_", "rt_-", "rt_abc ", "-rt_"),
    "api-key": ("pk_", "pk_-", "pk_abc ", "-pk_"),
    "fcm-token": ("a:APA91", "aaaaaaaa:APA91", "aaaaaaaa:", ":APA91", "aaaaaaaa:APA91b "),
    "email": ("a@", "a%40", "a@a.", "a@a-", "a@a.1", "@a", "%40a.", "a.a@a.a1", "a@a.a%40"),
    "phone": ("+7", "+7 ", "%2B7", "8 (916) ", "7%20", "89161", "8-9-1-6-"),
    "mobile": ("9", "9 ", "9%20", "916-", "9(1)"),
    "e164": ("+1", "%2B1", "+123456789", "+1234567890123456"),
}


def adversarial_texts(rule: Rule, size: int, follow: tuple[str, ...] = FOLLOW_UNITS) -> Iterator[tuple[str, str]]:
    """(label, text of about `size` characters) pairs to feed `rule`; `follow`: the runs put after
    each near-miss."""

    def run(unit: str, length: int) -> str:
        return (unit * (length // len(unit) + 1))[:length]

    for unit in COMMON_UNITS:
        yield f"run of {unit!r}", run(unit, size)
    for start in NEAR_MISSES[rule.name]:
        yield f"{start!r} repeated", run(start, size)
        yield f"{start!r} between spaces", run(start + " ", size)
        for unit in follow:
            yield f"{start!r} then a run of {unit!r}", start + run(unit, size - len(start))


def worst_case(rule: Rule, size: int, repeat: int = 3) -> tuple[float, str]:
    """The slowest input of `rule` at `size`: (CPU seconds, the best of `repeat` runs; label)."""
    worst = (0.0, "")
    for label, text in adversarial_texts(rule, size):
        best = float("inf")
        for _ in range(repeat):
            started = time.thread_time()
            rule.apply(text)
            best = min(best, time.thread_time() - started)
        worst = max(worst, (best, label))
    return worst


def main(argv: list[str]) -> None:
    size = int(os.environ.get("BENCH_REDACTION_KB", "100")) * 1000
    print(f"{'rule':<16} {'10 KB ms':>9} {f'{size // 1000} KB ms':>10} {'growth':>7}  verdict   worst input")
    failed = 0
    for rule in RULES:
        small, _ = worst_case(rule, size // 10)
        large, label = worst_case(rule, size)
        growth = large / max(small, 1e-6)
        linear = growth <= 25 and large < 0.1 * size / 100_000
        failed += not linear
        print(f"{rule.name:<16} {small * 1000:9.2f} {large * 1000:10.2f} {growth:7.1f}  "
              f"{'linear' if linear else 'SLOW':<8}  {label[:60]}")
    print(f"{len(RULES) - failed} of {len(RULES)} rules linear "
          f"({sum(1 for _ in adversarial_texts(RULES[0], 10))}+ inputs per rule, CPU time, best of 3)")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
