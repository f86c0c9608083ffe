"""Dependency audit of the project's installed environment (`make audit`).

pip-audit runs first, against its default service (PyPI's JSON API). It asks PyPI for each
installed release (`/pypi/<name>/<version>/json`); where that answer is a 404, pip-audit skips the
dependency and still reports "No known vulnerabilities found", which would be a silent pass. Some
networks serve only the project pages (`/pypi/<name>/json`), and those carry the vulnerabilities
of the project's newest release. So every dependency pip-audit skipped is looked up there:

- installed release is the newest one: its vulnerabilities are checked like pip-audit's own;
- installed release is older: nothing reachable says whether it is affected; it is listed as
  not audited (a failure with AUDIT_STRICT=1);
- PyPI cannot be reached at all: the audit fails, it never passes without having looked.

Exit status: 0 clean, 1 a known vulnerability or the audit could not run. The project package
itself (installed editable) is not audited.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from importlib.metadata import distributions

PROJECT_JSON = "https://pypi.org/pypi/{name}/json"
TIMEOUT = 30


def _installed() -> dict[str, str]:
    versions = {}
    for dist in distributions():
        name = dist.metadata["Name"]
        if name:
            versions.setdefault(_canonical(name), dist.version)
    return versions


def _canonical(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def _pip_audit() -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        done = subprocess.run([sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off",
                               "--format", "json", "--output", report], check=False)
        # 0: nothing found, 1: vulnerabilities found; anything else is pip-audit failing to run.
        if done.returncode not in (0, 1) or not os.path.exists(report):
            raise SystemExit(f"audit: pip-audit failed to run (exit {done.returncode})")
        with open(report, encoding="utf-8") as fh:
            return json.load(fh)


def _project_page(name: str) -> dict | None:
    """PyPI's project JSON, or None when PyPI does not know the project."""
    try:
        with urllib.request.urlopen(PROJECT_JSON.format(name=name), timeout=TIMEOUT) as answer:
            return json.load(answer)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        raise


def main() -> int:
    strict = os.environ.get("AUDIT_STRICT") == "1"
    installed = _installed()
    report = _pip_audit()
    findings: list[str] = []
    audited, by_project_page, not_audited, unknown = 0, [], [], []

    for dep in report.get("dependencies", []):
        name = dep["name"]
        for vuln in dep.get("vulns", []):
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release"
            findings.append(f"{name} {dep.get('version')}: {vuln['id']} (fixed in {fixed})")
        if "skip_reason" not in dep:
            audited += 1
            continue
        if "editable" in dep["skip_reason"]:
            continue
        version = installed.get(_canonical(name))
        try:
            page = _project_page(name)
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            print(f"audit: PyPI cannot be reached ({exc}); the dependencies were not audited", file=sys.stderr)
            return 1
        if page is None:
            unknown.append(f"{name} {version}")
        elif page["info"]["version"] != version:
            not_audited.append(f"{name} {version} (newest {page['info']['version']})")
        else:
            by_project_page.append(name)
            for vuln in page.get("vulnerabilities") or []:
                if vuln.get("withdrawn"):
                    continue
                fixed = ", ".join(vuln.get("fixed_in") or []) or "no fixed release"
                findings.append(f"{name} {version}: {vuln['id']} (fixed in {fixed})")

    print(f"audit: {audited} dependencies audited by pip-audit, {len(by_project_page)} against PyPI's "
          f"project pages (installed release is the newest)")
    if not_audited:
        print("audit: not audited, older than the newest release and PyPI's per-release pages are not "
              "reachable here: " + "; ".join(not_audited))
    if unknown:
        print("audit: not on PyPI: " + "; ".join(unknown))
    if findings:
        print("audit: known vulnerabilities:\n  " + "\n  ".join(findings))
        return 1
    if audited + len(by_project_page) == 0:
        print("audit: nothing could be audited", file=sys.stderr)
        return 1
    if strict and (not_audited or unknown):
        print("audit: AUDIT_STRICT=1 and some dependencies were not audited", file=sys.stderr)
        return 1
    print("audit: no known vulnerabilities")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
