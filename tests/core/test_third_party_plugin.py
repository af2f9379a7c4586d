"""A plugin written as a third party would (tests/plugins/dyncrm_visits), found through
its own distribution's entry points and enabled by configuration, with no change to
the core; and the errors a deployment gets when plugins are misconfigured or miswritten.
"""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from dyncrm import hookimpl
from dyncrm.app import open_crm
from dyncrm.db.models import Member
from dyncrm.errors import PluginError, ValidationError
from dyncrm.plugins import get_plugin_manager, installed_plugins
from dyncrm.testing import messages_for, run_cli, snapshot, staff, touchpoints
from dyncrm.values import Actor

SYSTEM = Actor.operator()


def write_config(tmp_path: Path, enabled: list[str], visits: dict | None = None) -> str:
    """A deployment config in ``tmp_path`` with ``enabled`` plugins."""
    lines = ['[organisation]\nname = "Koperasi Uji"\ncurrency = "IDR"\ncurrency_exponent = 0',
             '[database]\nurl = "sqlite:///crm.db"',
             '[notify]\ndefault_channel = "file"\nfile_directory = "outbox"',
             "[plugins]\nenabled = " + json.dumps(enabled)]
    if visits is not None:
        lines.append("[plugins.visits]\n" + "\n".join(f"{k} = {json.dumps(v)}"
                                                    for k, v in visits.items()))
    path = tmp_path / "dyncrm.toml"
    path.write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def cli_ok(*args: str) -> str:
    code, out, err = run_cli(list(args))
    assert code == 0, f"dyncrm {' '.join(args)} exited {code}: {err}"
    return out


def applicant(crm, name: str, **fields) -> int:
    """A member still applying (``active_member`` would approve them), by id."""
    with crm.action("test.add_member", SYSTEM):
        return Member.create(name=name, **fields).id


@pytest.fixture
def deployment(tmp_path: Path, visits_installed: str) -> str:
    """A migrated deployment with ``visits`` enabled, a clerk and member #1 (applicant)."""
    config = write_config(tmp_path, ["visits"], {"branch": "Cabang Sleman"})
    cli_ok("-c", config, "db", "upgrade")
    with open_crm(config) as crm:
        staff(crm, "clerk", "cashier", password=None)
        staff(crm, "guest", "member", password=None)
        applicant(crm, "Sri Wahyuni", email="sri@example.org", number="A-0001")
    return config


# --- discovery --------------------------------------------------------------------------


def test_plugin_is_not_installed_without_its_distribution() -> None:
    assert "visits" not in installed_plugins()
    with pytest.raises(ModuleNotFoundError):
        __import__("dyncrm_visits")


def test_installed_plugin_is_listed_but_not_enabled(tmp_path, visits_installed) -> None:
    config = write_config(tmp_path, [])
    rows = {r["name"]: r for r in json.loads(cli_ok("-c", config, "plugins", "--json"))["data"]}
    row = rows["visits"]
    assert row["enabled"] is False
    assert (row["distribution"], row["version"]) == ("dyncrm-visits", "0.1")
    assert "dyncrm_member_stage_changed" in row["hooks"]
    assert rows["visits.reports"]["enabled"] is False


def test_enabling_by_config_loads_it(tmp_path, visits_installed) -> None:
    config = write_config(tmp_path, ["visits"])
    rows = {r["name"]: r for r in json.loads(cli_ok("-c", config, "plugins", "--json"))["data"]}
    row = rows["visits"]
    assert row["enabled"] is True
    assert row["source"] == "entry point"
    assert (row["distribution"], row["version"]) == ("dyncrm-visits", "0.1")
    assert row["module"] == "dyncrm_visits"
    assert {"dyncrm_config_schema", "dyncrm_migrations", "dyncrm_register_commands",
            "dyncrm_member_stage_changed", "dyncrm_permissions"} <= set(row["hooks"])
    text = cli_ok("-c", config, "plugins")
    line = next(ln for ln in text.splitlines() if ln.startswith("visits "))
    assert "0.1" in line and "member_stage_changed" in line


# --- what it adds -----------------------------------------------------------------------


def test_hook_dyncrm_migrations(tmp_path, visits_installed) -> None:
    """``dyncrm db upgrade`` applies the plugin's own migrations, once."""
    config = write_config(tmp_path, ["visits"])
    out = cli_ok("-c", config, "db", "upgrade")
    assert "applied core:0001_initial" in out
    assert "applied visits:0001_visits" in out
    assert "nothing to apply" in cli_ok("-c", config, "db", "upgrade")
    status = json.loads(cli_ok("-c", config, "db", "status", "--json"))["data"]
    assert {(s["plugin"], s["migration"]) for s in status if s["plugin"] != "core"} == {
        ("visits", "0001_visits")}
    assert ("core", "0001_initial") in {(s["plugin"], s["migration"]) for s in status}
    assert all(s["applied"] != "pending" for s in status)
    with open_crm(config) as crm:
        assert "visits_visit" in crm.database.get_tables()


def test_hook_dyncrm_register_models(deployment) -> None:
    with open_crm(deployment) as crm:
        models = [m for ms in crm.hook.dyncrm_register_models() for m in ms or []]
    assert "visits_visit" in {m._meta.table_name for m in models}


def test_hook_dyncrm_register_commands(deployment) -> None:
    """``dyncrm visits log`` / ``list`` work through the real CLI with ``-c``."""
    out = cli_ok("-c", deployment, "--as", "clerk", "visits", "log", "A-0001",
                 "--note", "asked about a loan", "--key", "visit:1")
    assert out.strip() == "logged visit 1"
    out = cli_ok("-c", deployment, "--as", "clerk", "visits", "log", "A-0001",
                 "--note", "asked about a loan", "--key", "visit:1")
    assert "already recorded as visit 1; nothing changed" in out
    cli_ok("-c", deployment, "--as", "clerk", "visits", "log", "1", "--branch", "Kantor Pusat")
    rows = json.loads(cli_ok("-c", deployment, "--as", "clerk", "visits", "list", "A-0001",
                             "--json"))["data"]
    assert [(r["branch"], r["note"], r["by"]) for r in rows] == [
        ("Kantor Pusat", "", "clerk"), ("Cabang Sleman", "asked about a loan", "clerk")]
    table = cli_ok("-c", deployment, "--as", "clerk", "visits", "list")
    assert "Cabang Sleman" in table and "asked about a loan" in table
    with open_crm(deployment) as crm:
        assert [t.kind for t in touchpoints(crm, 1, kind="visit.*")] == ["visit.logged"] * 2


def test_hook_dyncrm_permissions(deployment) -> None:
    code, _, err = run_cli(["-c", deployment, "--as", "guest", "visits", "log", "A-0001"])
    assert code == 1
    assert "guest may not visits.log" in err
    with open_crm(deployment) as crm:
        assert crm.users.permissions["visits.view"].roles >= {"cashier", "treasurer"}


def test_bad_visit_is_refused_and_writes_nothing(deployment) -> None:
    before = snapshot(Path(deployment).parent / "crm.db")
    code, _, err = run_cli(["-c", deployment, "--as", "clerk", "visits", "log", "Z-9"])
    assert code == 1 and "member 'Z-9' not found" in err
    assert snapshot(Path(deployment).parent / "crm.db") == before
    with open_crm(deployment) as crm:
        with crm.action("test.reject", SYSTEM):
            crm.lifecycle.transition(1, "reject", SYSTEM)
        before = snapshot(crm)
    code, _, err = run_cli(["-c", deployment, "--as", "clerk", "visits", "log", "A-0001",
                            "--note", "too late"])
    assert code == 1 and "is rejected" in err
    with open_crm(deployment) as crm:
        assert snapshot(crm) == before


def test_hook_dyncrm_member_stage_changed(deployment) -> None:
    """The plugin books a welcome visit, in the same transaction, when a member joins."""
    with open_crm(deployment) as crm:
        from dyncrm_visits.service import visits

        # a failed action takes the reaction's row down with it
        with pytest.raises(ValidationError, match="changed my mind"), \
                crm.action("member.approve", SYSTEM):
            crm.lifecycle.transition(1, "approve", SYSTEM)
            assert [v.kind for v in visits(crm, 1)] == ["welcome"]
            raise ValidationError("changed my mind")
        assert visits(crm, 1) == []
        with crm.action("member.approve", SYSTEM):
            crm.lifecycle.transition(1, "approve", SYSTEM)
        (welcome,) = visits(crm, 1)
        assert (welcome.kind, welcome.branch) == ("welcome", "Cabang Sleman")
        # other stage changes are not its business
        with crm.action("member.leave", SYSTEM):
            crm.lifecycle.transition(1, "request_leave", SYSTEM)
        assert len(visits(crm, 1)) == 1


def test_hook_dyncrm_config_schema(tmp_path, visits_installed) -> None:
    config = write_config(tmp_path, ["visits"], {"branch": "Cabang Bantul",
                                                 "welcome_visit": False})
    with open_crm(config) as crm:
        settings = crm.plugin_config("visits")
        assert (settings.branch, settings.welcome_visit, settings.welcome_message) == (
            "Cabang Bantul", False, False)
    config = write_config(tmp_path, ["visits"], {"branch": "X", "welcom_visit": True})
    code, _, err = run_cli(["-c", config, "db", "upgrade"])
    assert code == 2
    assert "plugins.visits" in err and "unknown key 'welcom_visit'" in err


def test_hook_dyncrm_template_dirs(tmp_path, visits_installed) -> None:
    """With ``welcome_message = true`` the reaction queues the plugin's own template."""
    config = write_config(tmp_path, ["visits"], {"branch": "Cabang Sleman",
                                                 "welcome_message": True})
    cli_ok("-c", config, "db", "upgrade")
    with open_crm(config) as crm:
        member_id = applicant(crm, "Tono", email="tono@example.org")
        with crm.action("member.approve", SYSTEM):
            crm.lifecycle.transition(member_id, "approve", SYSTEM)
        (message,) = messages_for(crm, member_id)
        assert message.kind == "visits.welcome"
        assert message.subject == "Welcome to Cabang Sleman"
        assert "Dear Tono" in message.body and "Koperasi Uji" in message.body


def test_disabling_in_config_hides_its_command(deployment, tmp_path) -> None:
    write_config(tmp_path, [], {"branch": "Cabang Sleman"})  # settings kept, plugin off
    code, _, err = run_cli(["-c", deployment, "--as", "clerk", "visits", "list"])
    assert code == 2
    assert "No such command 'visits'" in err
    rows = {r["name"]: r for r in json.loads(cli_ok("-c", deployment, "plugins", "--json"))["data"]}
    assert rows["visits"]["enabled"] is False


def test_add_on_works_when_its_requirement_is_enabled(deployment, tmp_path) -> None:
    write_config(tmp_path, ["visits", "visits.reports"])
    with open_crm(deployment) as crm:
        details = crm.hook.dyncrm_member_details(crm=crm, member=crm.member(1))
    assert {"Visits": 0} in details


# --- mistakes are caught at start-up ------------------------------------------------------


def test_unknown_plugin_name_lists_installed_ones(tmp_path, visits_installed) -> None:
    config = write_config(tmp_path, ["visit"])
    code, _, err = run_cli(["-c", config, "plugins"])
    assert code == 3
    assert "plugin 'visit': is not installed; installed plugins:" in err
    assert "visits" in err.split("installed plugins:")[1]
    assert "expand.savings" in err
    code, _, err = run_cli(["-c", config, "db", "upgrade"])
    assert code == 3 and "is not installed" in err


def test_missing_requirement_names_both(tmp_path, visits_installed) -> None:
    config = write_config(tmp_path, ["visits.reports"])
    code, _, err = run_cli(["-c", config, "plugins"])
    assert code == 3
    assert "plugin 'visits.reports': requires plugin 'visits'" in err
    with pytest.raises(PluginError, match=r"'visits\.reports'.*requires plugin 'visits'"):
        get_plugin_manager(["visits.reports"])


def _plugin(name: str, **hooks) -> types.ModuleType:
    module = types.ModuleType(name)
    for hook_name, fn in hooks.items():
        fn.__name__ = hook_name
        setattr(module, hook_name, hookimpl(fn))
    return module


def test_misspelt_hook_name_is_refused_at_start_up(make_crm) -> None:
    typo = _plugin("typo_plugin",
                   dyncrm_member_stage_chaged=lambda crm, change: None)
    with pytest.raises(PluginError, match="dyncrm_member_stage_chaged"):
        get_plugin_manager([], extra=[("typo", typo)])
    with pytest.raises(PluginError, match="unknown hook"):
        make_crm(extra_plugins=[("typo", typo)])


def test_hookimpl_with_an_argument_not_in_the_spec_is_refused(make_crm) -> None:
    greedy = _plugin("greedy_plugin",
                     dyncrm_member_stage_changed=lambda crm, change, member: None)
    with pytest.raises(PluginError, match=r"plugin 'greedy'.*member") as info:
        get_plugin_manager([], extra=[("greedy", greedy)])
    assert info.value.plugin == "greedy"
    with pytest.raises(PluginError, match="greedy"):
        make_crm(extra_plugins=[("greedy", greedy)])


def test_visits_leaves_no_trace_after_its_test(visits_site) -> None:
    """The distribution is on sys.path only inside tests that ask for it."""
    assert str(visits_site) not in sys.path
    assert "visits" not in installed_plugins()
    assert "dyncrm_visits" not in sys.modules
