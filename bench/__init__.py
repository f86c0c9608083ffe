"""Benchmarks: `make bench` (or `python -m bench NAME…`) runs them and prints their figures.

Each module `bench/<name>.py` exposes `main(argv: list[str]) -> None`."""
