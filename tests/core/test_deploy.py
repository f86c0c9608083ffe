"""deploy/: the compose file and the image set only what the service reads, run only `bff` commands
that exist, and a production configuration like the compose file's starts."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

from core.infra.settings import ENV_NAMES, load_settings
from server.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.no_db
def test_the_compose_file_sets_only_settings_and_runs_existing_commands(tmp_path):
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    known = set(ENV_NAMES.values())
    commands = set(build_parser()._subparsers._group_actions[0].choices)
    for name in ("migrate", "api", "worker"):
        service = compose["services"][name]
        assert set(service["environment"]) <= known, set(service["environment"]) - known
        assert service["command"][0] in commands
    # Its environment, with the secrets filled in, is a production configuration that starts.
    def filled(value: str) -> str:  # ${NAME:-default} takes its default, ${NAME:?why} a secret
        return re.sub(r"\$\{\w+:(-|\?)([^}]*)\}", lambda m: m.group(2) if m.group(1) == "-" else "k8Jf2LmQ9xTzR4vW7nB1cY6pA3sD5gH0", value)

    values = {k: filled(str(v)) for k, v in compose["services"]["api"]["environment"].items()}
    settings = load_settings({**values, "FCM_CREDENTIALS": "", "TRUSTED_PROXIES": "", "VAR_DIR": str(tmp_path),
                              "SMS_WEBHOOK_URL": "https://sms.example/send"})
    assert settings.is_production and settings.storage_url.startswith("s3://")


@pytest.mark.no_db
def test_the_image_runs_the_bff_entry_point_the_package_installs():
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert 'ENTRYPOINT ["bff"]' in dockerfile and "bff" in scripts
    assert re.search(r"^USER app$", dockerfile, re.M)  # never root
    for package in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]["find"][
            "include"]:
        top = package.rstrip("*")
        assert f"COPY {top} {top}" in dockerfile, top
