"""Dependencies point one way: the server → the surfaces (bff, crm, console) → the domain (core) →
its infrastructure (core/infra: settings, database, Redis, clock, storage, SMS, the runtime), which
imports no domain area; the push worker sits beside the surfaces and imports only the domain. Every
import of the project's packages is read from the source (module level and inside functions
alike), so a cycle cannot hide in a function body."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "web", "bff", "crm", "console", "push", "server")

# What each package may import besides itself. The console renders the CRM's views with the CRM's
# request schemas, so the two validate alike; nothing imports the console or the server.
ALLOWED = {
    "core": set(),
    "web": {"core"},
    "push": {"core"},
    "bff": {"core", "web"},
    "crm": {"core", "web"},
    "console": {"core", "web", "crm"},
    "server": {"core", "web", "bff", "crm", "console", "push"},
}


def imports_of(source: str) -> list[tuple[int, str]]:
    """(line, module) of every absolute import in a module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


# What core/infra may import of core besides itself: the error kernel and the schema it stores
# (the SMS and idempotency records), nothing of a domain area.
INFRA_ALLOWED = ("core.infra", "core.errors", "core.models", "core.enums")


def wrong_arrows(root: Path) -> list[str]:
    wrong = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # the migrations' own environment, run by Alembic
            infra = path.relative_to(root).parts[:2] == ("core", "infra")
            for line, module in imports_of(path.read_text(encoding="utf-8")):
                target = module.split(".")[0]
                if target in PACKAGES and target != package and target not in ALLOWED[package]:
                    wrong.append(f"{path.relative_to(root)}:{line} imports {module}")
                elif infra and target == "core" and not module.startswith(INFRA_ALLOWED):
                    wrong.append(f"{path.relative_to(root)}:{line} imports {module}")
    return wrong


def test_every_import_points_the_allowed_way():
    assert wrong_arrows(ROOT) == []


def test_every_package_is_walked():
    """A new top-level package must say where it stands before it can import anything."""
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "soak", "docs"}
    assert packages == set(PACKAGES)


@pytest.mark.parametrize(("package", "module", "wrong"), [
    ("core", "push.worker", True),
    ("core", "bff.cache", True),
    ("web", "crm.routes", True),
    ("push", "web.deps", True),
    ("crm", "bff.devices.controller", True),
    ("bff", "core.notifications.outbox", False),
    ("core/infra", "core.auth.service", True),
    ("core/infra", "core.screen_cache", True),
    ("core/infra", "core.models", False),
    ("core/clients", "core.infra.db", False),
])
def test_an_arrow_the_wrong_way_is_found(tmp_path, package, module, wrong):
    """The walk can fail: a function-level import the wrong way is reported with its place."""
    for name in PACKAGES:
        (tmp_path / name).mkdir()
    (tmp_path / package).mkdir(parents=True, exist_ok=True)
    (tmp_path / package / "late.py").write_text(f"def later():\n    import {module}\n", encoding="utf-8")
    assert wrong_arrows(tmp_path) == ([f"{package}/late.py:2 imports {module}"] if wrong else [])
