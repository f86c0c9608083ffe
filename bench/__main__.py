"""Run the benchmarks named on the command line, or all of them, and end with one table of
every target, its figure and a verdict."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench
from bench import Figure


def main(argv: list[str]) -> int:
    names = argv or sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if not m.name.startswith("_"))
    figures: list[Figure] = []
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        print(f"== bench {name}", flush=True)
        started = time.perf_counter()
        figures += module.main([]) or []
        print(f"== bench {name} took {time.perf_counter() - started:.1f} s", flush=True)
    if figures:
        print_verdicts(figures)
    return 0 if all(f.met for f in figures) else 1


def print_verdicts(figures: list[Figure]) -> None:
    width = max(len(f.what) for f in figures)
    print(f"\n== targets\n{'bench':<14} {'what':<{width}} {'target':<14} {'figure':>24}  verdict")
    for f in figures:
        print(f"{f.bench:<14} {f.what:<{width}} {f.target:<14} {f.figure:>24}  {'met' if f.met else 'MISSED'}")
    missed = sum(1 for f in figures if not f.met)
    print(f"{len(figures) - missed} of {len(figures)} targets met", flush=True)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
