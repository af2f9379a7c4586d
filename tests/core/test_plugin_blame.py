"""Errors caused by a plugin name that plugin, and what to do (issue 12, friction point 5).

Each broken plugin here is a real installed distribution (``tests/thirdparty.py``),
found through its entry point like any third-party plugin, and driven through the
real CLI: a failing migration, a hook returning the wrong type, an enabled plugin
whose migrations were not applied, a misspelt hook, a forgotten ``@hookimpl`` and
a broken template.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from thirdparty import on_sys_path, write_distribution

from dyncrm import hookimpl
from dyncrm.app import open_crm
from dyncrm.errors import ConfigError, PendingMigrations, PluginError
from dyncrm.plugins import get_plugin_manager
from dyncrm.testing import run_cli

PACKAGE = "dyncrm_blame"
NAME = "blame"

HEADER = '''
from pathlib import Path

import click

from dyncrm import hookimpl
from dyncrm.cli import pass_crm

HERE = Path(__file__).parent
'''

MIGRATIONS = '''
@hookimpl
def dyncrm_migrations():
    return ("blame", HERE / "migrations")
'''

COMMAND = '''
@hookimpl
def dyncrm_template_dirs():
    return [HERE / "templates"]


@hookimpl
def dyncrm_register_commands(cli):
    @cli.command("blame-hello")
    @pass_crm
    def hello(crm):
        """Say hello from the blame plugin."""
        click.echo(crm.render("blame/hello.txt", name="Ani"))
'''


@pytest.fixture
def install(tmp_path: Path) -> Iterator[Callable[..., str]]:
    """``install(code, files={...})``: the ``blame`` plugin with ``code`` as its
    ``__init__.py`` (after :data:`HEADER`) and ``files`` beside it, installed for this
    test; returns the path of a deployment config with the core migrated and ``admin``."""
    with on_sys_path(tmp_path / "site", PACKAGE):

        def factory(code: str, files: dict[str, str] | None = None,
                    enabled: tuple[str, ...] = (NAME,)) -> str:
            package = tmp_path / "src" / PACKAGE
            package.mkdir(parents=True)
            (package / "__init__.py").write_text(HEADER + textwrap.dedent(code))
            for name, text in (files or {}).items():
                (package / name).parent.mkdir(parents=True, exist_ok=True)
                (package / name).write_text(textwrap.dedent(text))
            write_distribution(tmp_path / "site", package, name="dyncrm-blame", version="0.1",
                               entry_points={"dyncrm": {NAME: PACKAGE}})
            config = write_config(tmp_path, [])
            assert run_cli(["-c", config, "db", "upgrade"])[0] == 0
            with open_crm(config) as crm, crm.database.atomic():
                crm.users.add("admin", roles=["admin"], password="correct horse battery")
            return write_config(tmp_path, list(enabled))

        yield factory


def write_config(tmp_path: Path, enabled: list[str]) -> str:
    """A deployment config in ``tmp_path`` with ``enabled`` plugins."""
    path = tmp_path / "dyncrm.toml"
    path.write_text(
        '[organisation]\nname = "Koperasi Uji"\n\n[database]\nurl = "sqlite:///crm.db"\n\n'
        '[plugins]\nenabled = [' + ", ".join(f'"{n}"' for n in enabled) + "]\n",
        encoding="utf-8")
    return str(path)


def assert_blames_plugin(code: int, err: str) -> None:
    assert code == 3, err
    assert "plugin 'blame'" in err
    assert "bug in dyncrm" not in err


# --- a failing migration ----------------------------------------------------------------


def test_failing_plugin_migration_names_the_plugin_and_the_script(install) -> None:
    config = install(MIGRATIONS, {
        "migrations/0001_ok.py": """
            def up(migrator, db):
                db.execute_sql("CREATE TABLE blame_ok (id INTEGER PRIMARY KEY)")
            """,
        "migrations/0002_typo.py": """
            def up(migrator, db):
                db.execute_sql("CREATE TABEL blame_bad (id INTEGER PRIMARY KEY)")
            """,
    })
    code, _, err = run_cli(["-c", config, "db", "upgrade"])
    assert_blames_plugin(code, err)
    assert "migration failed (0002_typo.py:3)" in err
    assert "syntax error" in err and "plugin's authors" in err
    status = {r["migration"]: r["applied"]
              for r in json.loads(run_cli(["-c", config, "db", "status", "--json"])[1])["data"]}
    assert status["0001_ok"] is True and status["0002_typo"] is False


def test_wrong_type_from_a_hook_names_the_plugin_and_the_hook(install) -> None:
    config = install('''
        @hookimpl
        def dyncrm_migrations():
            return str(HERE / "migrations")  # should be ("blame", folder)
        ''')
    code, _, err = run_cli(["-c", config, "db", "upgrade"])
    assert_blames_plugin(code, err)
    assert "in hook 'dyncrm_migrations': returned str" in err
    assert "must return a tuple of 2 or None" in err


class WrongTypes:
    @hookimpl
    def dyncrm_template_dirs(self):
        return Path("templates")  # should be a list of folders

    @hookimpl
    def dyncrm_config_schema(self):
        return ["settings"]  # should be {name: attrs class}


def test_wrong_types_are_caught_at_the_hook_not_inside_the_core(make_crm) -> None:
    with pytest.raises(PluginError) as info:
        make_crm(extra_plugins=[("wrong", WrongTypes())])
    assert (info.value.plugin, info.value.hook) == ("wrong", "dyncrm_config_schema")
    assert "returned list ['settings']; this hook must return a dict or None" in str(info.value)
    pm = get_plugin_manager(extra=[("wrong", WrongTypes())])
    with pytest.raises(PluginError, match="'dyncrm_template_dirs': returned PosixPath"):
        pm.hook.dyncrm_template_dirs()


# --- pending migrations -----------------------------------------------------------------


def test_pending_migrations_of_an_enabled_plugin_are_reported_before_the_command(
        install) -> None:
    config = install(MIGRATIONS + COMMAND, {
        "migrations/0001_visits.py": """
            def up(migrator, db):
                db.execute_sql("CREATE TABLE blame_visit (id INTEGER PRIMARY KEY)")
            """,
        "templates/blame/hello.txt": "Halo {{ name }}",
    })
    for args in (["--as", "admin", "user", "list"], ["blame-hello"], ["run-due"]):
        code, out, err = run_cli(["-c", config, *args])
        assert code == 2, (args, err)
        assert "1 migration(s) are pending (blame:0001_visits)" in err
        assert f"apply them with: dyncrm -c {config} db upgrade" in err
        assert "plugin's authors" not in err and out == ""
    # the exempt commands still work, and say the same
    code, out, _ = run_cli(["-c", config, "db", "status"])
    assert code == 0 and "1 pending" in out
    assert run_cli(["-c", config, "plugins"])[0] == 0
    assert run_cli(["-c", config, "hooks"])[0] == 0
    assert run_cli(["-c", config, "--help"])[0] == 0
    assert run_cli(["-c", config, "db", "upgrade"])[0] == 0
    code, out, err = run_cli(["-c", config, "blame-hello"])
    assert (code, out.strip()) == (0, "Halo Ani"), err


def test_the_pending_check_reads_the_history_table_once(install) -> None:
    config = install(MIGRATIONS, {"migrations/0001_a.py": "def up(migrator, db): pass\n",
                                  "migrations/0002_b.py": "def up(migrator, db): pass\n"})
    with open_crm(config) as crm:
        statements: list[str] = []
        real = crm.database.execute_sql

        def counting(sql, *args, **kwargs):
            statements.append(sql)
            return real(sql, *args, **kwargs)

        crm.database.execute_sql = counting
        with pytest.raises(PendingMigrations) as info:
            crm.check_schema()
        assert info.value.names == ["blame:0001_a", "blame:0002_b"]
        history = [s for s in statements if "dyncrm_schema_migration" in s]
        assert len(history) == 1 and len(statements) <= 2, statements
        crm.database.execute_sql = real
        crm.upgrade()
        crm.check_schema()


# --- a misspelt hook --------------------------------------------------------------------


MISSPELT = '''
@hookimpl
def dyncrm_member_stage_chaged(crm, change):
    pass
''' + COMMAND


def test_misspelt_hook_names_the_plugin_and_the_nearest_hook(install) -> None:
    install(MISSPELT)
    with pytest.raises(PluginError) as info:
        get_plugin_manager([NAME])
    assert info.value.plugin == NAME
    assert str(info.value) == ("plugin 'blame': unknown hook dyncrm_member_stage_chaged "
                               "(did you mean dyncrm_member_stage_changed?)")


def test_misspelt_hook_leaves_plugins_and_help_working(install, visits_installed) -> None:
    config = install(MISSPELT, enabled=(NAME, "visits"))
    code, out, err = run_cli(["-c", config, "plugins"])
    assert code == 3
    row = next(line for line in out.splitlines() if line.startswith("blame "))
    assert "BROKEN: unknown hook dyncrm_member_stage_chaged" in row
    assert next(line for line in out.splitlines() if line.startswith("visits "))
    assert "did you mean dyncrm_member_stage_changed?" in err
    listed = json.loads(run_cli(["-c", config, "plugins", "--json"])[1])["data"]
    rows = {r["name"]: r for r in listed}
    assert rows[NAME]["enabled"] and "did you mean" in rows[NAME]["problem"]
    assert rows["visits"]["problem"] is None
    code, out, err = run_cli(["-c", config, "--help"])
    assert code == 0, err
    assert "Plugins that could not be loaded" in out
    assert "unknown hook dyncrm_member_stage_chaged" in out
    assert "visits" in out.split("Commands:")[1]  # the healthy plugin's commands stay
    assert "blame-hello" not in out


def test_commands_that_need_the_plugins_fail_with_the_clear_message(install) -> None:
    config = install(MISSPELT)
    for args in (["blame-hello"], ["--as", "admin", "user", "list"], ["db", "upgrade"]):
        code, _, err = run_cli(["-c", config, *args])
        assert_blames_plugin(code, err)
        assert "did you mean dyncrm_member_stage_changed?" in err


# --- a forgotten @hookimpl --------------------------------------------------------------


def test_undecorated_dyncrm_function_is_warned_about(install) -> None:
    config = install('''
        def dyncrm_permissions():
            return []
        ''')
    code, _, err = run_cli(["-c", config, "plugins"])
    assert code == 0, err
    assert ("warning: plugin 'blame': dyncrm_permissions is not decorated with @hookimpl, "
            "so dyncrm never calls it") in err
    assert "'@hookimpl' above it" in err
    assert err.count("dyncrm_permissions is not decorated") == 1


class Undecorated:
    def dyncrm_member_details(self, crm, member):
        return {"Lupa": "dekorator"}


def test_undecorated_method_of_a_plugin_object_is_warned_about(make_crm, capsys) -> None:
    make_crm(extra_plugins=[("lupa", Undecorated())])
    err = capsys.readouterr().err
    assert "plugin 'lupa': dyncrm_member_details is not decorated with @hookimpl" in err


# --- template errors --------------------------------------------------------------------


def test_undefined_variable_in_a_plugins_template_names_file_line_and_variable(
        install) -> None:
    config = install(COMMAND, {"templates/blame/hello.txt": "Halo {{ name }},\n\n"
                                                            "saldo {{ saldo }}\n"})
    code, _, err = run_cli(["-c", config, "blame-hello"])
    assert_blames_plugin(code, err)
    assert "templates/blame/hello.txt, line 3: 'saldo' is undefined" in err


class Templates:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def dyncrm_template_dirs(self):
        return [self.folder]


def test_template_syntax_error_names_file_and_line(make_crm, tmp_path: Path) -> None:
    (tmp_path / "tpl").mkdir()
    (tmp_path / "tpl" / "bad.txt").write_text("baris satu\n{% if member %}\ntanpa endif\n")
    crm = make_crm(extra_plugins=[("tpl", Templates(tmp_path / "tpl"))])
    with pytest.raises(PluginError) as info:
        crm.render("bad.txt", member=1)
    assert info.value.plugin == "tpl"
    assert f"template {tmp_path / 'tpl' / 'bad.txt'}, line 3: syntax error" in str(info.value)


def test_deployments_own_template_is_the_operators_to_fix(make_crm, tmp_path: Path) -> None:
    folder = tmp_path / "deploy" / "messages"
    folder.mkdir(parents=True)
    (folder / "hi.txt").write_text("Subject: Hai\n\n{{ member.nama }}\n")
    crm = make_crm(plugins={"template_dir": str(tmp_path / "deploy")})
    with pytest.raises(ConfigError) as info:
        crm.render_message("messages/hi.txt", member={"name": "Ani"})
    assert f"template {folder / 'hi.txt'}, line 3: 'dict object' has no attribute 'nama'" \
        in str(info.value)
