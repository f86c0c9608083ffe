"""Every module of the project's packages opens with a docstring whose first paragraph, one or two
lines, says what the module is for (STYLE: module docstrings)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from tests.core.test_layers import (
    PACKAGES,  # the project's packages, one list for both walks
)

ROOT = Path(__file__).resolve().parents[2]
SKIPPED = (("core", "migrations", "versions"),)  # Alembic revisions carry Alembic's own header
SUMMARY_LINES = 2


def undocumented(root: Path) -> list[str]:
    """Modules without a docstring, or whose docstring's first paragraph runs past two lines."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            name = path.relative_to(root)
            if any(name.parts[:len(skip)] == skip for skip in SKIPPED):
                continue
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            if not doc or not doc.strip():
                found.append(f"{name}: no docstring")
                continue
            lines = len(re.split(r"\n\s*\n", doc.strip(), maxsplit=1)[0].splitlines())
            if lines > SUMMARY_LINES:
                found.append(f"{name}: first paragraph has {lines} lines")
    return found


def test_every_module_says_what_it_is_for():
    assert undocumented(ROOT) == []


@pytest.mark.parametrize(("source", "problem"), [
    ("", "no docstring"),
    ("from __future__ import annotations\n", "no docstring"),
    ('"""One.\nTwo.\nThree."""\n', "first paragraph has 3 lines"),
    ('"""One.\nTwo.\nThree.\n\nMore."""\n', "first paragraph has 3 lines"),
])
def test_the_check_names_a_module_that_breaks_the_rule(tmp_path, source, problem):
    package = tmp_path / "core" / "area"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""An area."""\n')
    (package / "good.py").write_text('"""A summary line\nand its second line.\n\nThe long story, however long."""\n')
    (package / "bad.py").write_text(source)
    skipped = tmp_path / "core" / "migrations" / "versions"
    skipped.mkdir(parents=True)
    (skipped / "0001_start.py").write_text("")
    assert undocumented(tmp_path) == [f"core/area/bad.py: {problem}"]
