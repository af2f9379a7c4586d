"""PluginSpec: a plugin's set-up hooks declared once, registered like hand-written ones."""

from __future__ import annotations

import types
from pathlib import Path

import attrs
import click
import pytest

from dyncrm import Permission, PluginSpec, hookimpl


@attrs.frozen
class TallySettings:
    """Settings of the test plugin."""

    start: int = 1


@click.command("tally")
def tally_cmd() -> None:
    """Say hello from a PluginSpec plugin."""
    click.echo("tally says hello")


def _plugin(tmp_path: Path, **extra) -> types.ModuleType:
    """A plugin module in ``tmp_path`` with a migration and a template, built on a spec."""
    package = tmp_path / "tallyplug"
    (package / "migrations").mkdir(parents=True)
    (package / "migrations" / "0001_tally.py").write_text(
        "def up(migrator, db):\n"
        "    db.execute_sql('CREATE TABLE tally_count (id INTEGER PRIMARY KEY, n INTEGER)')\n")
    (package / "templates").mkdir()
    (package / "templates" / "tally.txt").write_text("count {{ n }}\n")
    module = types.ModuleType("tallyplug")
    spec = PluginSpec("tally", settings=TallySettings, migrations=package / "migrations",
                      templates=[package / "templates"], commands=tally_cmd,
                      permissions=[Permission("tally.count", frozenset({"admin"}), "count")],
                      **extra)
    spec.export(vars(module))
    return module


def test_spec_provides_only_the_hooks_it_has_something_for() -> None:
    namespace = {"__name__": "dyncrm_retain.faq", "__package__": "dyncrm_retain.faq"}
    PluginSpec("x", settings=TallySettings, requires=("expand.savings",)).export(namespace)
    assert "dyncrm_config_schema" in namespace
    assert "dyncrm_migrations" not in namespace and "dyncrm_register_commands" not in namespace
    assert namespace["DYNCRM_REQUIRES"] == ("expand.savings",)
    assert namespace["dyncrm_config_schema"]() == {"x": TallySettings}
    assert namespace["dyncrm_config_schema"].dyncrm_impl is not None


def test_spec_plugin_works_in_a_real_crm(make_crm, tmp_path: Path) -> None:
    plugin = _plugin(tmp_path)
    crm = make_crm(extra_plugins=[("tally", plugin)], plugins={"tally": {"start": 5}})
    assert crm.plugin_config("tally") == TallySettings(start=5)
    assert "tally_count" in crm.database.get_tables()  # the migration ran
    assert crm.templates.get_template("tally.txt").render(n=3).strip() == "count 3"
    declared = {p.name for found in crm.hook.dyncrm_permissions() for p in found or ()}
    assert "tally.count" in declared
    assert sorted(h.name for h in crm.pm.get_hookcallers(plugin)) == [
        "dyncrm_config_schema", "dyncrm_migrations", "dyncrm_permissions",
        "dyncrm_register_commands", "dyncrm_template_dirs"]


def test_relative_folders_come_from_the_module_package() -> None:
    namespace = {"__name__": "dyncrm_retain.feedback", "__package__": "dyncrm_retain.feedback"}
    PluginSpec("retain.feedback", migrations="migrations", templates="templates").export(namespace)
    name, folder = namespace["dyncrm_migrations"]()
    assert name == "retain.feedback" and folder.is_dir()
    assert folder.parts[-2:] == ("feedback", "migrations")
    assert all(f.is_dir() for f in namespace["dyncrm_template_dirs"]())


def test_a_hook_written_twice_is_refused() -> None:
    @hookimpl
    def dyncrm_config_schema():
        return {}

    namespace = {"__name__": "m", "dyncrm_config_schema": dyncrm_config_schema}
    with pytest.raises(ValueError, match="already defines dyncrm_config_schema"):
        PluginSpec("m", settings=TallySettings).export(namespace)


def test_relative_folder_without_a_package_is_explained() -> None:
    hooks = PluginSpec("m", migrations="migrations").hooks()
    with pytest.raises(ValueError, match="no package"):
        hooks["dyncrm_migrations"]()


def register_tally(cli: click.Group) -> None:
    """A registrar function, as a plugin's cli module would have."""
    cli.add_command(tally_cmd, "tally-count")


@pytest.mark.parametrize(("commands", "name"), [
    (tally_cmd, "tally"), (register_tally, "tally-count"),
    (f"{__name__}:tally_cmd", "tally"), (f"{__name__}:register_tally", "tally-count")])
def test_spec_commands_reach_the_command_line(commands, name: str) -> None:
    """A command, a group or a registrar, given directly or as ``"module:attribute"``."""
    group = click.Group("dyncrm")
    PluginSpec("tally", commands=commands).hooks()["dyncrm_register_commands"](group)
    assert group.commands[name] is tally_cmd


def _template_plugin(tmp_path: Path, name: str, **extra) -> types.ModuleType:
    """A spec plugin whose only set-up is a folder with ``hi.txt`` saying its name."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "hi.txt").write_text(f"{name}\n")
    module = types.ModuleType(name)
    PluginSpec(name, templates=folder, **extra).export(vars(module))
    return module


@pytest.mark.parametrize(("first", "winner"), [(True, "deployment"), (False, "generic")])
def test_templates_first_win_whatever_the_plugin_order(make_crm, tmp_path: Path,
                                                       first: bool, winner: str) -> None:
    """``templates_first`` registers the folders with tryfirst: found before later plugins'."""
    deployment = _template_plugin(tmp_path, "deployment", templates_first=first)
    generic = _template_plugin(tmp_path, "generic")
    assert deployment.dyncrm_template_dirs.dyncrm_impl["tryfirst"] is first
    crm = make_crm(extra_plugins=[("deployment", deployment), ("generic", generic)])
    assert crm.templates.get_template("hi.txt").render().strip() == winner


def test_web_pages_are_named_and_imported_only_when_the_portal_asks() -> None:
    import sys

    calls = []
    module = types.ModuleType("spec_web_pages_example")
    module.pages = lambda crm: calls.append(crm) or "the extension"
    spec = PluginSpec("example", web="spec_web_pages_example:pages", package=__name__)
    hooks = spec.hooks()
    assert list(hooks) == ["dyncrm_web"]
    sys.modules["spec_web_pages_example"] = module  # "installed" only now: nothing ran yet
    try:
        assert hooks["dyncrm_web"]("crm") == "the extension"
    finally:
        del sys.modules["spec_web_pages_example"]
    assert calls == ["crm"]
