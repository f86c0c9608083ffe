"""The soak's figures: error rates overall and in the fault windows, latency per kind, and the
pushes requested against what the fake FCM received.

A push counts as delivered to a device when FCM accepted a message for its token carrying the
request's marker. Copies of one notification (one tag: the Android tag and APNs collapse id)
on one token are a single display: the later ones are re-sends after an unknown fate, which
the phone collapses. Two different notifications for one request on one token are a duplicate
the resident sees twice."""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from soak.traffic import CACHED, LOGIN_CODE, MARKER, MIX, Ledger, Sample


@dataclass(slots=True)
class Window:
    name: str
    start: float
    end: float


@dataclass
class PushFigures:
    requested: int = 0
    pairs: int = 0
    delivered: int = 0
    lost: list[tuple[str, str]] = field(default_factory=list)
    duplicated_displays: int = 0
    resent: int = 0
    not_requested: int = 0
    after_refusal: int = 0
    fate_unknown: int = 0
    fcm_errors: int = 0
    by_kind: Counter = field(default_factory=Counter)


def reconcile(ledger: Ledger, records: list[dict]) -> PushFigures:
    figures = PushFigures(requested=len(ledger.requested))
    tags: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record in records:
        if record["answered"] != "ok":
            figures.fcm_errors += 1
            continue
        found = MARKER.search(f"{record['title']} {record['body']}")
        tags[(found.group() if found else "", record["token"])].append(record["tag"])
    expected = {(marker, token) for marker, tokens in ledger.requested.items() for token in tokens}
    figures.pairs = len(expected)
    for marker, tokens in ledger.requested.items():
        figures.by_kind[ledger.kind_of[marker]] += len(tokens)
    for pair in sorted(expected):
        if pair in tags:
            figures.delivered += 1
        else:
            figures.lost.append(pair)
    for pair, seen in tags.items():
        marker = pair[0]
        figures.resent += len(seen) - len(set(seen))
        if pair in expected:
            figures.duplicated_displays += len(set(seen)) - 1
        elif marker in ledger.refused:
            figures.after_refusal += len(set(seen))
        elif marker in ledger.unknown:
            figures.fate_unknown += len(set(seen))
        else:
            figures.not_requested += len(set(seen))
    return figures


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] if ordered else float("nan")


def _rate(samples: list[Sample]) -> str:
    errors = sum(1 for s in samples if not s.ok)
    share = 100.0 * errors / len(samples) if samples else 0.0
    causes = Counter("no answer" if s.status == 0 else str(s.status) for s in samples if not s.ok)
    detail = f" ({', '.join(f'{k}: {v}' for k, v in causes.most_common())})" if causes else ""
    return f"{len(samples):,} requests, {errors:,} errors = {share:.2f} %{detail}"


def print_requests(samples: list[Sample], windows: list[Window], shed: int, seconds: float) -> None:
    print(f"requests: {len(samples):,} sent in {seconds:.0f} s ({len(samples) / seconds:.1f}/s); "
          f"{shed} not sent (too many in flight)")
    print(f"  overall:               {_rate(samples)}")
    inside = set()
    for window in windows:
        # A request belongs to a window it was in flight during (one started just before a fault
        # and answered in it met the fault).
        chosen = [s for s in samples if s.at < window.end and s.at + s.latency >= window.start]
        inside.update(id(s) for s in chosen)
        label = f"{window.name} (t {window.start:.0f}-{window.end:.0f} s):"
        print(f"  {label:<40} {_rate(chosen)}")
        # Login codes live in Redis alone (503 while it is away); cached screens live in Redis
        # (they answer while PostgreSQL is away): each counted apart.
        for name, part in ((f"without {LOGIN_CODE}s", [s for s in chosen if s.kind != LOGIN_CODE]),
                           (f"{LOGIN_CODE}s", [s for s in chosen if s.kind == LOGIN_CODE]),
                           (f"{CACHED}s", [s for s in chosen if s.kind == CACHED])):
            if part and len(part) != len(chosen):
                print(f"    {name + ':':<38} {_rate(part)}")
    outside = [s for s in samples if id(s) not in inside]
    print(f"  {'outside the fault windows:':<40} {_rate(outside)}")
    print("latency per kind (ms):")
    print(f"  {'kind':<26} {'n':>7} {'p50':>8} {'p99':>8} {'max':>8} {'errors':>7}")
    by_kind: dict[str, list[Sample]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample)
    for kind in [*MIX, *sorted(set(by_kind) - set(MIX))]:
        chosen = by_kind.get(kind)
        if not chosen:
            continue
        answered = [s.latency * 1000 for s in chosen if s.status]
        errors = sum(1 for s in chosen if not s.ok)
        print(f"  {kind:<26} {len(chosen):>7,} {percentile(answered, 0.5):>8.1f} {percentile(answered, 0.99):>8.1f} "
              f"{max(answered, default=float('nan')):>8.1f} {errors:>7,}")
    answered = [s.latency * 1000 for s in samples if s.status]
    print(f"  {'all':<26} {len(samples):>7,} {percentile(answered, 0.5):>8.1f} {percentile(answered, 0.99):>8.1f} "
          f"{max(answered, default=float('nan')):>8.1f} {sum(1 for s in samples if not s.ok):>7,}")


def print_pushes(figures: PushFigures, outbox: dict, ledger: Ledger) -> None:
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in figures.by_kind.most_common())
    print(f"pushes: {figures.requested:,} requested by answered writes = {figures.pairs:,} (notification, device) "
          f"pairs ({kinds})")
    print(f"  delivered:                                {figures.delivered:,}")
    print(f"  lost:                                     {len(figures.lost):,}")
    print(f"  duplicated displays:                      {figures.duplicated_displays:,}")
    print(f"  re-sent under the same collapse key:      {figures.resent:,} (shown once)")
    print(f"  not requested at all:                     {figures.not_requested:,}")
    print(f"  pushed although the request was refused:  {figures.after_refusal:,} "
          f"(of {len(ledger.refused):,} refused writes)")
    print(f"  writes with no answer (fate unknown):     {len(ledger.unknown):,}, of which pushed: "
          f"{figures.fate_unknown:,}")
    print(f"  FCM answers other than ok:                {figures.fcm_errors:,}")
    print(f"  outbox: deliveries {', '.join(f'{k} {v:,}' for k, v in sorted(outbox['statuses'].items()))}; "
          f"claimed again with their fate unknown {outbox['resends']:,}; held back by throttling {outbox['throttled']:,}; "
          f"drained {outbox['drain']}")
    for marker, token in figures.lost[:10]:
        print(f"  lost: {marker} -> {token}")
