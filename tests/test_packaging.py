"""The distribution installs every plugin folder, with its migrations and templates.

``pyproject.toml`` lists the import packages by hand (``[tool.setuptools] packages``),
so a plugin folder left out of that list would work in an editable checkout and be
missing from a regular install.  These tests read the same file setuptools reads.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from dyncrm.plugins import installed_plugins, package_path

ROOT = Path(__file__).resolve().parents[1]
SETUPTOOLS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def _folders_with_init() -> dict[str, Path]:
    """Every import package under the mapped folders, by dotted name."""
    found = {}
    for package, folder in SETUPTOOLS["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            if "migrations" in rel.parts or "templates" in rel.parts:
                continue
            found[".".join((package, *rel.parts))] = init.parent
    return found


def test_every_package_folder_is_listed_for_installation():
    missing = sorted(set(_folders_with_init()) - set(SETUPTOOLS["packages"]))
    assert not missing, f"add to [tool.setuptools] packages in pyproject.toml: {missing}"


def test_every_listed_package_exists():
    assert set(SETUPTOOLS["packages"]) <= set(_folders_with_init())


def test_bundled_plugins_keep_their_migrations_and_templates_in_their_folders():
    plugins = installed_plugins()
    for name in ("expand.savings", "expand.loans", "expand.rewards", "expand.deactivation"):
        module = plugins[name].value
        migrations = package_path(module, "migrations")
        assert sorted(p.name for p in migrations.glob("0*.py"))[0] == "0001_initial.py", name
        short = name.split(".")[1]
        assert list((package_path(module, "templates") / short).glob("*.txt")), name
    for name in ("retain.feedback", "retain.faq", "retain.reminders"):
        module = plugins[name].value
        migrations = package_path(module, "migrations")
        assert sorted(p.name for p in migrations.glob("0*.py"))[0] == "0001_initial.py", name
    for name in ("retain.feedback", "retain.reminders"):
        short = name.split(".")[1]
        assert list((package_path(plugins[name].value, "templates") / short).glob("*.txt")), name
    for short in ("shu", "payroll"):
        assert list(package_path(f"koperasi_xyz.{short}", "migrations").glob("0*.py")), short
    # the acquire plugins share the template prefix of their package: acquire/welcome.txt
    for name in ("acquire.registration", "acquire.member_card", "acquire.promotion"):
        module = plugins[name].value
        migrations = package_path(module, "migrations")
        assert sorted(p.name for p in migrations.glob("0*.py"))[0] == "0001_initial.py", name
    for name, templates in (("acquire.registration", {"application_received.txt",
                                                      "application_rejected.txt",
                                                      "application_returned.txt",
                                                      "welcome.txt"}),
                            ("acquire.promotion", {"promotion.txt"})):
        folder = package_path(plugins[name].value, "templates") / "acquire"
        assert {p.name for p in folder.glob("*.txt")} == templates, name
    assert not package_path("dyncrm_acquire", "migrations").exists()
    assert not package_path("dyncrm_acquire", "templates").exists()
