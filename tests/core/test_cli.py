"""The core CLI end to end: init, plugins, db, users, timeline, outbox, ledger, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dyncrm.app import open_crm
from dyncrm.db.models import Member
from dyncrm.testing import run_cli
from dyncrm.values import Actor


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    code, _, err = run_cli(["init", str(tmp_path), "--name", "Koperasi Uji",
                            "--admin-password-stdin"], input="sangat-rahasia-1\n")
    assert code == 0, err
    return tmp_path / "dyncrm.toml"


def cli(config: Path, *args: str, user: str | None = "admin", **kw):
    base = ["-c", str(config)] + (["--as", user] if user else [])
    return run_cli(base + list(args), **kw)


def test_init_creates_config_database_and_admin(deployment: Path) -> None:
    assert 'name = "Koperasi Uji"' in deployment.read_text()
    code, out, _ = cli(deployment, "db", "status", "--json", user=None)
    assert code == 0
    assert json.loads(out)["data"][0]["plugin"] == "core"
    code, out, _ = cli(deployment, "db", "upgrade", user=None)
    assert code == 0 and "nothing to apply" in out


def test_init_refuses_to_overwrite(deployment: Path) -> None:
    code, _, err = run_cli(["init", str(deployment.parent)])
    assert code == 1 and "use --force" in err


def test_init_without_password_prints_activation(tmp_path: Path) -> None:
    code, out, _ = run_cli(["init", str(tmp_path)])
    assert code == 0
    token = out.split("one-time code: ")[1].split()[0]
    config = tmp_path / "dyncrm.toml"
    code, out, err = cli(config, "user", "activate", "admin", "--stdin",
                         user=None, input=f"{token}\nbaru-dan-panjang\n")
    assert code == 0, err
    code, _, err = cli(config, "user", "activate", "admin", "--stdin",
                       user=None, input=f"{token}\nlain-lagi-panjang\n")
    assert code == 1 and "invalid or expired" in err


def test_plugins_lists_installed_with_json(deployment: Path) -> None:
    code, out, _ = cli(deployment, "plugins", "--json", user=None)
    rows = json.loads(out)["data"]
    assert code == 0
    assert {"name", "enabled", "version", "hooks", "source"} <= set(rows[0])
    assert all(not r["enabled"] for r in rows)  # the default config enables nothing
    code, out, _ = cli(deployment, "plugins", "--all", "--json", user=None)
    assert any(r["source"] == "builtin" for r in json.loads(out)["data"])


def test_hooks_lists_every_spec(deployment: Path) -> None:
    _, out, _ = run_cli(["hooks", "--json"])
    kinds = {r["hook"]: r["kind"] for r in json.loads(out)["data"]}
    assert kinds["dyncrm_configure"] == "historic"
    assert kinds["dyncrm_acquire_segment"] == "firstresult"


def test_user_commands_and_permissions(deployment: Path) -> None:
    code, out, err = cli(deployment, "user", "add", "siti", "--role", "secretary",
                         "--name", "Siti Aminah")
    assert code == 0, err
    assert "one-time activation code" in out
    code, out, _ = cli(deployment, "user", "list", "--json")
    assert {u["username"]: u["roles"] for u in json.loads(out)["data"]}["siti"] == "secretary"
    code, _, err = cli(deployment, "user", "set-role", "siti", "secretary,treasurer")
    assert code == 0, err
    code, _, err = cli(deployment, "user", "add", "x1", "--role", "wizard")
    assert code == 1 and "unknown role 'wizard'" in err
    code, _, err = cli(deployment, "user", "add", "siti")
    assert code == 1 and "already exists" in err
    # a secretary may not manage users
    code, _, err = cli(deployment, "user", "list", user="siti")
    assert code == 1 and "siti may not users.manage" in err


def test_acting_needs_a_signed_in_person(deployment: Path) -> None:
    code, _, err = cli(deployment, "user", "list", user=None)
    assert code == 1 and "not signed in" in err and "dyncrm login" in err


def test_member_timeline(deployment: Path) -> None:
    with open_crm(deployment) as crm, crm.action("seed", Actor.operator()):
        member = Member.create(name="Budi Santoso", number="XYZ-2026-00001")
        crm.lifecycle.transition(member.id, "approve", Actor.operator())
    code, out, err = cli(deployment, "member", "timeline", "XYZ-2026-00001")
    assert code == 0, err
    assert "Budi Santoso" in out and "stage.approve" in out
    code, out, _ = cli(deployment, "member", "timeline", "XYZ-2026-00001", "--json")
    assert json.loads(out)["data"]["touchpoints"][0]["kind"] == "stage.approve"
    code, _, err = cli(deployment, "member", "timeline", "XYZ-9")
    assert code == 1 and "member 'XYZ-9' not found" in err


def test_outbox_send_delivers_to_files(deployment: Path) -> None:
    with open_crm(deployment) as crm, crm.action("q", Actor.operator()):
        crm.outbox.queue(recipient="budi@example.id", subject="Selamat datang", body="Halo",
                         kind="welcome")
    code, out, err = cli(deployment, "outbox", "send")
    assert code == 0, err
    assert "sent 1" in out
    [eml] = (deployment.parent / "outbox").glob("*.eml")
    assert "Selamat datang" in eml.read_text()
    code, out, _ = cli(deployment, "outbox", "list", "--status", "sent", "--json")
    assert json.loads(out)["data"][0]["status"] == "sent"


def test_ledger_commands(deployment: Path) -> None:
    with open_crm(deployment) as crm, crm.action("seed", Actor.operator()):
        cash = crm.ledger.open_account("cash", type="asset")
        bank = crm.ledger.open_account("bank", type="asset")
        entry = crm.ledger.transfer(crm.money("1.000.000"), debit=bank, credit=cash, kind="move",
                                    actor="admin").entry
    code, out, _ = cli(deployment, "ledger", "trial-balance")
    assert code == 0 and "postings balance: yes" in out and "Rp 1.000.000" in out
    code, out, _ = cli(deployment, "ledger", "reverse", str(entry.id), "--reason", "salah")
    assert code == 0 and "posted reversal" in out
    code, out, _ = cli(deployment, "ledger", "reverse", str(entry.id), "--reason", "salah")
    assert code == 0 and "already reversed" in out


def test_config_errors_exit_2_and_internal_errors_exit_4(tmp_path: Path, monkeypatch) -> None:
    bad = tmp_path / "dyncrm.toml"
    bad.write_text("[organisation]\ncurrency_exponent = 'x'\n")
    code, _, err = run_cli(["-c", str(bad), "db", "status"])
    assert code == 2 and "currency_exponent" in err and "Traceback" not in err

    from dyncrm import app

    def boom(self):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(app.CRM, "migration_status", boom)
    good = tmp_path / "ok.toml"
    good.write_text('[organisation]\n[database]\nurl = "sqlite:///ok.db"\n')
    code, _, err = run_cli(["-c", str(good), "db", "status"])
    assert code == 4 and "disk on fire" in err and "Traceback" not in err
    code, _, err = run_cli(["-c", str(good), "--debug", "db", "status"])
    assert code == 4 and "Traceback" in err


def test_help_everywhere() -> None:
    from dyncrm.cli import cli as root

    code, out, _ = run_cli(["--help"])
    assert code == 0 and "acquire, retain, expand" in out
    for name in root.commands:
        code, out, _ = run_cli([name, "--help"])
        assert code == 0 and len(out) > 40, name


def test_blame_names_the_innermost_plugin_frame() -> None:
    from dyncrm.cli import blame

    namespace = {"__name__": "dyncrm_retain.fake"}
    exec(compile("def boom():\n    return 1 / 0\n", "fake.py", "exec"), namespace)
    try:
        namespace["boom"]()
    except ZeroDivisionError as exc:
        assert blame(exc) == "dyncrm_retain.fake (fake.py:2)"
    try:
        raise RuntimeError("core")
    except RuntimeError as exc:
        assert blame(exc) is None


def test_a_crashing_plugin_exits_3_naming_it(tmp_path: Path, monkeypatch) -> None:
    """An unexpected error inside a plugin is a plugin error (exit 3), not a core bug."""
    import dyncrm_retain.faq.search as faq_search

    config = tmp_path / "dyncrm.toml"
    config.write_text('[organisation]\n[database]\nurl = "sqlite:///kop.db"\n'
                      '[plugins]\nenabled = ["retain.faq"]\n')
    assert run_cli(["-c", str(config), "db", "upgrade"])[0] == 0
    monkeypatch.setattr(faq_search, "words", None)  # the plugin's own code now fails
    code, _, err = run_cli(["-c", str(config), "faq", "search", "simpanan"])
    assert code == 3
    assert "Plugin error in dyncrm_retain.faq.search (search.py:" in err
    assert "Traceback" not in err
