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


# The surfaces build no query: they call a core area's repository or service. The residents' app
# keeps its read model, SQL text that builds each screen's JSON in PostgreSQL (bff/sql.py), which
# imports none of these.
SURFACES = ("bff", "crm", "console", "web")
QUERY_BUILDERS = {"select", "insert", "update", "delete", "text", "union", "union_all", "exists", "func"}


def queries_in_surfaces(root: Path) -> list[str]:
    found = []
    for package in SURFACES:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names if alias.name.split(".")[0] == "sqlalchemy"]
                elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
                    names = [f"{node.module}.{alias.name}" for alias in node.names if alias.name in QUERY_BUILDERS]
                else:
                    continue
                found.extend(f"{path.relative_to(root)}:{node.lineno} imports {name}" for name in names)
    return found


def test_the_surfaces_build_no_query():
    assert queries_in_surfaces(ROOT) == []


@pytest.mark.parametrize(("source", "found"), [
    ("from sqlalchemy import select\n", ["sqlalchemy.select"]),
    ("def later():\n    from sqlalchemy.dialects.postgresql import insert\n", ["sqlalchemy.dialects.postgresql.insert"]),
    ("import sqlalchemy as sa\n", ["sqlalchemy"]),
    ("from sqlalchemy import exc, text\n", ["sqlalchemy.text"]),
    ("from sqlalchemy import exc\nfrom sqlalchemy.ext.asyncio import AsyncSession\n", []),
])
def test_a_query_built_in_a_surface_is_found(tmp_path, source, found):
    """The check can fail: a query builder imported by a surface is reported with its place."""
    for name in SURFACES:
        (tmp_path / name).mkdir()
    (tmp_path / "crm" / "views.py").write_text(source, encoding="utf-8")
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "repository.py").write_text("from sqlalchemy import select\n", encoding="utf-8")
    line = 2 if source.startswith("def") else 1
    assert queries_in_surfaces(tmp_path) == [f"crm/views.py:{line} imports {name}" for name in found]


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
    ("core/infra", "core.changes", True),
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
