"""``dyncrm plugin new NAME``: the generated plugin package installs, lints clean and its
own tests pass out of the box, in a separate Python process that finds it only through its
distribution's entry point, as after ``pip install``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from thirdparty import write_distribution

from dyncrm.testing import run_cli


def generate(*args: str) -> tuple[int, str, str]:
    return run_cli(["plugin", "new", *args], signed_in=False)


def test_generated_plugin_passes_its_own_tests(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    code, out, err = generate("berjangka", "--dir", str(project))
    assert code == 0, err
    assert "wrote plugin 'berjangka'" in out
    package = project / "dyncrm_berjangka"
    assert (package / "migrations" / "0001_initial.py").is_file()
    assert (package / "templates" / "messages" / "berjangka_note.txt").is_file()
    assert '[project.entry-points.dyncrm]\nberjangka = "dyncrm_berjangka"' in (
        project / "pyproject.toml").read_text()
    assert "PluginSpec(" in (package / "__init__.py").read_text()

    lint = subprocess.run([sys.executable, "-m", "ruff", "check", str(project)],
                          capture_output=True, text=True, cwd=project, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr

    # "installed": the package plus a .dist-info declaring its entry point, on PYTHONPATH
    site = tmp_path / "site"
    write_distribution(site, package, name="dyncrm-berjangka", version="0.1.0",
                       entry_points={"dyncrm": {"berjangka": "dyncrm_berjangka"}})
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("DYNCRM_", "PYTEST_"))}
    env["PYTHONPATH"] = str(site)
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
                         capture_output=True, text=True, cwd=project, env=env, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout


@pytest.mark.parametrize("name", ["Berjangka", "1deposit", "term-deposit", "class", "a b", ""])
def test_a_bad_name_is_refused_and_nothing_written(name: str, tmp_path: Path) -> None:
    code, _, err = generate(name, "--dir", str(tmp_path / "out"))
    assert code == 1
    assert "cannot name a plugin" in err and "lower-case Python identifier" in err
    assert not (tmp_path / "out").exists()


def test_an_existing_folder_is_refused_without_force(tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    code, _, err = generate("berjangka", "--dir", str(target))
    assert code == 1 and "already exists" in err and "--force" in err
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    code, _, err = generate("berjangka", "--dir", str(target), "--force")
    assert code == 0, err
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / "dyncrm_berjangka" / "__init__.py").is_file()


def test_default_folder_is_dyncrm_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = generate("simpanan_berjangka")
    assert code == 0, err
    assert (tmp_path / "dyncrm-simpanan_berjangka" / "dyncrm_simpanan_berjangka"
            / "models.py").is_file()
    assert "Note(BaseModel)" in (tmp_path / "dyncrm-simpanan_berjangka"
                                 / "dyncrm_simpanan_berjangka" / "models.py").read_text()


def test_package_data_ships_migrations_and_templates(tmp_path: Path) -> None:
    """Files outside the package's modules (migrations, templates) are all declared as
    package data, so a real ``pip install`` (not only the copy above) ships them."""
    import tomllib

    project = tmp_path / "proj"
    assert generate("berjangka", "--dir", str(project))[0] == 0
    settings = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["setuptools"]
    package = project / "dyncrm_berjangka"
    declared = {p for pattern in settings["package-data"]["dyncrm_berjangka"]
                for p in package.glob(pattern) if p.is_file()}
    data = {p for p in package.rglob("*") if p.is_file() and p.parent != package}
    assert data and data == declared
    assert settings["packages"] == ["dyncrm_berjangka"]
