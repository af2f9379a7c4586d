#!/usr/bin/env python3
"""Audit the versions installed in .venv against known vulnerabilities (pip-audit).

Run by .ci/run after the tests.  pip-audit lives in its own virtualenv
(.venv-audit), so neither it nor its dependencies end up in the project's.
It is asked about exactly the versions `.venv/bin/pip freeze` reports, first
from PyPI's vulnerability data, then, for what PyPI could not answer, from
OSV (api.osv.dev).

The outcome is one of three, printed plainly:

- a known vulnerability in an installed version: every finding is listed with
  the versions that fix it, and the script exits 1 (CI fails);
- every package audited, nothing found: exit 0;
- the audit could not be done, or not for every package (pip-audit could not
  be installed, the services could not be reached, or they had no data for a
  version): the script says "NOT AUDITED" and which packages, and exits 0, so an
  unreachable service never makes CI flaky.  It never reports "no known
  vulnerabilities" for a package it could not ask about.

Usage: python3 .ci/audit.py [--venv .venv] [--audit-venv .venv-audit]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

PIP_AUDIT = "pip-audit>=2.7"
TIMEOUT = 300  # seconds for each pip-audit run; a hung service must not hang CI


def say(text: str) -> None:
    print(f"audit: {text}", flush=True)


def ensure_pip_audit(audit_venv: Path) -> Path | None:
    """The pip-audit executable in ``audit_venv``, installed if missing; None if impossible."""
    exe = audit_venv / "bin" / "pip-audit"
    if exe.exists():
        return exe
    try:
        subprocess.run([sys.executable, "-m", "venv", str(audit_venv)], check=True,
                       capture_output=True, text=True, timeout=120)
        subprocess.run([str(audit_venv / "bin" / "pip"), "install", "-q", PIP_AUDIT],
                       check=True, capture_output=True, text=True, timeout=600)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        say(f"NOT AUDITED: pip-audit could not be installed ({detail.strip()[-300:]})")
        return None
    return exe


def installed(venv: Path) -> list[str]:
    """``name==version`` of every installed distribution except editable ones (dyncrm)."""
    out = subprocess.run([str(venv / "bin" / "pip"), "freeze", "--exclude-editable"],
                         check=True, capture_output=True, text=True).stdout
    return [line for line in out.splitlines() if "==" in line and not line.startswith("#")]


def run_pip_audit(exe: Path, pins: list[str], service: str) -> dict | None:
    """pip-audit's JSON report for ``pins`` from ``service``; None when it could not run."""
    with tempfile.TemporaryDirectory() as tmp:
        reqs, report = Path(tmp) / "requirements.txt", Path(tmp) / "report.json"
        reqs.write_text("\n".join(pins) + "\n")
        cmd = [str(exe), "-r", str(reqs), "--no-deps", "--disable-pip", "--progress-spinner",
               "off", "-s", service, "-f", "json", "-o", str(report), "--timeout", "30"]
        try:
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            say(f"{service}: no answer within {TIMEOUT}s")
            return None
        if not report.exists() or not report.read_text().strip():
            last = (done.stderr.strip().splitlines() or ["no output"])[-1]
            say(f"{service}: pip-audit could not query the service ({last[:300]})")
            return None
        return json.loads(report.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=Path(".venv"))
    parser.add_argument("--audit-venv", type=Path, default=Path(".venv-audit"))
    args = parser.parse_args()

    pins = installed(args.venv)
    exe = ensure_pip_audit(args.audit_venv)
    if exe is None:
        return 0
    audited: dict[str, dict] = {}  # name -> dependency entry with "vulns"
    pending = list(pins)
    for service in ("pypi", "osv"):
        if not pending:
            break
        report = run_pip_audit(exe, pending, service)
        if report is None:
            continue
        answered = set()
        for dep in report.get("dependencies", []):
            if "skip_reason" not in dep:
                audited[dep["name"].lower()] = dep
                answered.add(dep["name"].lower())
        pending = [p for p in pending if p.split("==")[0].lower() not in answered]
        say(f"{service}: {len(answered)} package(s) audited, {len(pending)} without an answer")

    vulnerable = [d for d in audited.values() if d.get("vulns")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
            aliases = ", ".join(vuln.get("aliases") or [])
            say(f"VULNERABLE: {dep['name']} {dep['version']}: {vuln['id']}"
                f"{f' ({aliases})' if aliases else ''}; fixed in {fixes}")
    if pending:
        say(f"NOT AUDITED: {len(pending)} of {len(pins)} installed package(s) could not be "
            "checked (vulnerability services unreachable or without data for these "
            f"versions): {', '.join(pending)}")
    if vulnerable:
        say(f"{len(vulnerable)} installed package(s) with known vulnerabilities: raise their "
            "floors in pyproject.toml")
        return 1
    if audited:
        say(f"no known vulnerabilities in the {len(audited)} package(s) audited")
    return 0


if __name__ == "__main__":
    sys.exit(main())
