""".ci/audit.py: fails CI on a known vulnerability, says plainly when it could not audit.

pip-audit and pip are replaced by small executables that answer like them, so the
three outcomes (vulnerable, clean, not audited) are checked without the network.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[1] / ".ci" / "audit.py"


def executable(path: Path, body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!{sys.executable}\n{body}")
    path.chmod(0o755)


FREEZE = ("print('jinja2==3.1.4')\nprint('pillow==13.0.0')\n"
          "print('-e git+https://example.invalid/dyncrm#egg=dyncrm')\n")

# A stand-in for pip-audit: answers per service from ANSWERS (service -> report or None).
FAKE_AUDIT = """
import json, sys
args = sys.argv[1:]
service = args[args.index("-s") + 1]
answers = json.loads({answers!r})
report = answers.get(service)
if report is None:
    sys.stderr.write("requests.exceptions.ConnectionError: cannot reach " + service + "\\n")
    sys.exit(1)
open(args[args.index("-o") + 1], "w").write(json.dumps(report))
"""


def run(tmp_path: Path, answers: dict) -> subprocess.CompletedProcess:
    venv, audit_venv = tmp_path / "venv", tmp_path / "audit"
    executable(venv / "bin" / "pip", FREEZE)
    executable(audit_venv / "bin" / "pip-audit", FAKE_AUDIT.format(answers=json.dumps(answers)))
    return subprocess.run([sys.executable, str(SCRIPT), "--venv", str(venv), "--audit-venv",
                           str(audit_venv)], capture_output=True, text=True, timeout=60)


CLEAN = {"dependencies": [{"name": "jinja2", "version": "3.1.4", "vulns": []},
                          {"name": "pillow", "version": "13.0.0", "vulns": []}]}
SKIPPED = {"dependencies": [
    {"name": "jinja2", "skip_reason": "Dependency not found on PyPI and could not be audited"},
    {"name": "pillow", "skip_reason": "Dependency not found on PyPI and could not be audited"}]}
VULNERABLE = {"dependencies": [
    {"name": "jinja2", "version": "3.1.4", "vulns": [
        {"id": "GHSA-cpwx-vrp4-4pq7", "fix_versions": ["3.1.6"], "aliases": ["CVE-2025-27516"]}]},
    {"name": "pillow", "version": "13.0.0", "vulns": []}]}


def test_a_known_vulnerability_fails_naming_it_and_its_fix(tmp_path: Path) -> None:
    done = run(tmp_path, {"pypi": VULNERABLE})
    assert done.returncode == 1, done.stdout
    assert "VULNERABLE: jinja2 3.1.4: GHSA-cpwx-vrp4-4pq7 (CVE-2025-27516); fixed in 3.1.6" \
        in done.stdout


def test_all_clean_passes(tmp_path: Path) -> None:
    done = run(tmp_path, {"pypi": CLEAN})
    assert done.returncode == 0
    assert "no known vulnerabilities in the 2 package(s) audited" in done.stdout
    assert "NOT AUDITED" not in done.stdout


@pytest.mark.parametrize("answers", [{}, {"pypi": SKIPPED}, {"pypi": SKIPPED, "osv": None}])
def test_unreachable_services_pass_but_say_nothing_was_audited(tmp_path: Path,
                                                               answers: dict) -> None:
    done = run(tmp_path, answers)
    assert done.returncode == 0, done.stdout
    assert "NOT AUDITED: 2 of 2 installed package(s)" in done.stdout
    assert "jinja2==3.1.4" in done.stdout and "no known vulnerabilities" not in done.stdout


def test_what_pypi_cannot_answer_is_asked_of_osv(tmp_path: Path) -> None:
    done = run(tmp_path, {"pypi": SKIPPED, "osv": VULNERABLE})
    assert done.returncode == 1 and "VULNERABLE: jinja2" in done.stdout
