"""Benchmarks: `make bench` (or `python -m bench NAME…`) runs them and prints their figures.

Each module `bench/<name>.py` exposes `main(argv: list[str])`; one with targets returns its
`Figure`s, which `python -m bench` gathers into the closing table of every target."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    """One measured figure against its target, e.g. a p99 against "p99 < 50 ms"."""

    bench: str
    what: str
    target: str
    figure: str
    met: bool
