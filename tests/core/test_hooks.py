"""Each core hook, shown being called by the engine with what its spec promises."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import attrs
import jinja2
import pytest

from dyncrm.db.models import Member
from dyncrm.errors import ConfigError, PermissionDenied
from dyncrm.hookspecs import hookimpl
from dyncrm.money import Money
from dyncrm.testing import BASE_CONFIG, run_cli
from dyncrm.values import Actor, Channel, Permission, ScheduledJob

SYSTEM = Actor.operator()
BASE_ORGANISATION = BASE_CONFIG["organisation"]


class Configured:
    def __init__(self) -> None:
        self.seen = None

    @hookimpl
    def dyncrm_configure(self, crm):
        self.seen = crm.config.organisation.name


def test_hook_dyncrm_configure(make_crm) -> None:
    plugin = Configured()
    make_crm(extra_plugins=[("configured", plugin)])
    assert plugin.seen == "Koperasi Uji"


@attrs.frozen
class GreeterSettings:
    greeting: str = "Halo"
    times: int = 1


class Greeter:
    @hookimpl
    def dyncrm_config_schema(self):
        return {"test.greeter": GreeterSettings}


def test_hook_dyncrm_config_schema(make_crm) -> None:
    crm = make_crm(extra_plugins=[("test.greeter", Greeter())],
                   plugins={"test.greeter": {"greeting": "Selamat pagi", "times": 2}})
    assert crm.plugin_config("test.greeter") == GreeterSettings("Selamat pagi", 2)


def test_plugin_settings_errors_name_key_expected_and_found(make_crm) -> None:
    with pytest.raises(ConfigError) as info:
        make_crm(extra_plugins=[("test.greeter", Greeter())],
                 plugins={"test.greeter": {"times": "two"}})
    assert "[plugins.test.greeter.times]" in str(info.value)
    assert "expected an integer, found 'two'" in str(info.value)
    with pytest.raises(ConfigError, match="unknown key 'greting'"):
        make_crm(extra_plugins=[("test.greeter", Greeter())],
                 plugins={"test.greeter": {"greting": "x"}})


class WithTable:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def dyncrm_migrations(self):
        return ("test.table", self.folder)

    @hookimpl
    def dyncrm_register_models(self):
        return [Member]


def test_hook_dyncrm_migrations(make_crm, tmp_path: Path) -> None:
    folder = tmp_path / "migrations"
    folder.mkdir()
    (folder / "0001_initial.py").write_text(
        "def up(migrator, db):\n"
        "    db.execute_sql('CREATE TABLE visit (id INTEGER PRIMARY KEY)')\n")
    crm = make_crm(extra_plugins=[("test.table", WithTable(folder))])
    names = [(s.plugin, s.name) for s in crm.migration_status()]
    assert ("core", "0001_initial") in names and ("test.table", "0001_initial") in names
    assert crm.database.table_exists("visit")
    assert crm.upgrade() == []  # idempotent


def test_hook_dyncrm_register_models(make_crm, tmp_path: Path) -> None:
    crm = make_crm(extra_plugins=[("test.table", WithTable(tmp_path))])
    models = [m for ms in crm.hook.dyncrm_register_models() for m in ms]
    assert Member in models


def test_hook_dyncrm_register_commands(tmp_path: Path) -> None:
    """The CLI asks enabled plugins for commands (the third-party test plugin adds one too)."""
    import click

    from dyncrm.cli import cli

    seen = []

    class Adder:
        @hookimpl
        def dyncrm_register_commands(self, cli):
            seen.append(cli)

            @cli.command("hello")
            def hello():
                click.echo("hello")

    from dyncrm.plugins import get_plugin_manager

    pm = get_plugin_manager(extra=[("adder", Adder())])
    group = click.Group("scratch")
    pm.hook.dyncrm_register_commands(cli=group)
    assert "hello" in group.commands and seen == [group]
    assert "hello" not in cli.commands  # the real tree is never mutated


class Templates:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def dyncrm_template_dirs(self):
        return [self.folder]

    @hookimpl
    def dyncrm_prepare_jinja2_environment(self, env, crm):
        env.filters["shout"] = lambda s: s.upper() + "!"


def test_hook_dyncrm_template_dirs(make_crm, tmp_path: Path) -> None:
    folder = tmp_path / "tpl"
    (folder / "messages").mkdir(parents=True)
    (folder / "messages" / "hi.txt").write_text(
        "Subject: Hai {{ name }}\n\nSaldo {{ amount|money }} per {{ day|date }}\n")
    crm = make_crm(extra_plugins=[("tpl", Templates(folder))])
    subject, body = crm.render_message("messages/hi.txt", name="Ani",
                                       amount=Money.of(1250000, "IDR"), day=dt.date(2026, 3, 1))
    assert subject == "Hai Ani"
    assert body == "Saldo Rp 1.250.000 per 1 Maret 2026\n"


def test_deployment_template_dir_overrides_and_default_prefix_reaches_core(make_crm,
                                                                          tmp_path) -> None:
    folder = tmp_path / "deploy"
    (folder / "messages").mkdir(parents=True)
    (folder / "messages" / "base.txt").write_text(
        '{% extends "default:messages/base.txt" %}{% block subject %}Override{% endblock %}')
    crm = make_crm(plugins={"template_dir": str(folder)})
    subject, body = crm.render_message("messages/base.txt")
    assert subject == "Override" and "Koperasi Uji" in body


def test_hook_dyncrm_prepare_jinja2_environment(make_crm, tmp_path: Path) -> None:
    crm = make_crm(extra_plugins=[("tpl", Templates(tmp_path))])
    assert isinstance(crm.templates, jinja2.Environment)
    assert crm.templates.from_string("{{ 'awas'|shout }}").render() == "AWAS!"


def test_html_templates_are_autoescaped(make_crm, tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text("<p>{{ name }}</p>")
    crm = make_crm(extra_plugins=[("tpl", Templates(tmp_path))])
    assert crm.render("page.html", name="<script>") == "<p>&lt;script&gt;</p>"


class Perms:
    @hookimpl
    def dyncrm_permissions(self):
        return [Permission("visits.log", frozenset({"secretary"}), "log a visit")]


def test_hook_dyncrm_permissions(make_crm) -> None:
    crm = make_crm(extra_plugins=[("perms", Perms())])
    secretary = Actor("sekretaris", frozenset({"secretary"}))
    cashier = Actor("kasir", frozenset({"cashier"}))
    crm.require(secretary, "visits.log")
    with pytest.raises(PermissionDenied, match=r"kasir may not visits\.log"):
        crm.require(cashier, "visits.log")


def test_config_can_reassign_permission_roles(make_crm) -> None:
    crm = make_crm(extra_plugins=[("perms", Perms())],
                   permissions={"visits.log": ["cashier"]})
    crm.require(Actor("kasir", frozenset({"cashier"})), "visits.log")


class Pigeon:
    def __init__(self) -> None:
        self.sent = []
        self.fail_first = True

    def send(self, message):
        if self.fail_first:
            self.fail_first = False
            raise ConnectionError("pigeon lost")
        self.sent.append(message)

    @hookimpl
    def dyncrm_notification_channels(self, crm):
        return [Channel("pigeon", self.send, "carrier pigeon")]


def test_hook_dyncrm_notification_channels(make_crm) -> None:
    pigeon = Pigeon()
    crm = make_crm(extra_plugins=[("pigeon", pigeon)])
    with crm.action("q", SYSTEM):
        crm.outbox.queue(recipient="loft 3", subject="s", body="b", channel="pigeon", key="k")
    first = crm.outbox.deliver()
    assert (first.sent, first.failed) == (0, 1)
    assert crm.outbox.deliver().sent == 0  # backing off: not due yet
    later = crm.now() + dt.timedelta(minutes=5)
    assert crm.outbox.deliver(now=later).sent == 1
    assert crm.outbox.deliver(now=later + dt.timedelta(days=1)).sent == 0  # never twice
    assert [m.recipient for m in pigeon.sent] == ["loft 3"]


class Jobs:
    @hookimpl
    def dyncrm_scheduled_jobs(self, crm):
        return [ScheduledJob("tick", lambda crm, day: f"ran for {day}", "test job")]


def test_hook_dyncrm_scheduled_jobs(tmp_path: Path) -> None:
    """`dyncrm run-due` runs every plugin's scheduled jobs (the CLI path)."""
    from dyncrm.app import CRM
    from dyncrm.config import config_from_dict

    crm = CRM(config_from_dict({"organisation": {},
                                "database": {"url": f"sqlite:///{tmp_path}/x.db"}},
                               base_dir=tmp_path), extra_plugins=(("jobs", Jobs()),))
    jobs = [j for js in crm.hook.dyncrm_scheduled_jobs(crm=crm) for j in js]
    assert jobs[0].run(crm, dt.date(2026, 1, 2)) == "ran for 2026-01-02"
    crm.upgrade()  # commands refuse a database with pending migrations
    crm.close()
    (tmp_path / "dyncrm.toml").write_text('[organisation]\n[database]\nurl = "sqlite:///x.db"\n')
    code, out, err = run_cli(["-c", str(tmp_path / "dyncrm.toml"), "run-due", "--date",
                              "2026-01-02"])
    assert code == 0, err
    assert "no scheduled jobs" in out  # nothing enabled in this config


class Watcher:
    def __init__(self) -> None:
        self.entries = []
        self.touchpoints = []

    @hookimpl
    def dyncrm_transaction_posted(self, crm, entry):
        self.entries.append(entry)

    @hookimpl
    def dyncrm_touchpoint_recorded(self, crm, touchpoint):
        self.touchpoints.append(touchpoint.kind)

    @hookimpl
    def dyncrm_member_details(self, crm, member):
        return {"Watched": member.name}


def test_hook_dyncrm_transaction_posted(make_crm) -> None:
    watcher = Watcher()
    crm = make_crm(extra_plugins=[("watcher", watcher)])
    with crm.action("post", SYSTEM):
        cash = crm.ledger.open_account("cash", type="asset")
        bank = crm.ledger.open_account("bank", type="asset")
        for _ in range(2):
            crm.ledger.transfer(Money.of(10, "IDR"), debit=bank, credit=cash, kind="move",
                                actor="t", key="once")
    assert len(watcher.entries) == 1  # replays are not announced
    assert watcher.entries[0].legs[0].amount == Money.of(10, "IDR")


def test_hook_dyncrm_touchpoint_recorded(make_crm) -> None:
    watcher = Watcher()
    crm = make_crm(extra_plugins=[("watcher", watcher)])
    with crm.action("create", SYSTEM):
        member = Member.create(name="Dewi")
        crm.touch(member.id, "retain", "for", "faq.viewed", SYSTEM, {"entry": 3})
    assert watcher.touchpoints == ["faq.viewed"]


def test_hook_dyncrm_member_details(make_crm) -> None:
    crm = make_crm(extra_plugins=[("watcher", Watcher())])
    with crm.action("create", SYSTEM):
        member = Member.create(name="Dewi")
    assert crm.member_details(member.id) == {"Watched": "Dewi"}


class Indonesian:
    @hookimpl
    def dyncrm_translations(self, locale):
        if locale.startswith("id"):
            return {"the member joined {months} months ago": "anggota baru {months} bulan",
                    "broken {x}": "rusak {y}"}
        return None


def test_hook_dyncrm_translations(make_crm) -> None:
    crm = make_crm(extra_plugins=[("id", Indonesian())])
    assert crm.t("the member joined {months} months ago", months=2) == "anggota baru 2 bulan"
    assert crm.t("no translation for {what}", what="this") == "no translation for this"
    assert crm.t("broken {x}", x=1) == "broken 1"  # a bad translation falls back to English
    english = make_crm(extra_plugins=[("id", Indonesian())],
                       organisation={**BASE_ORGANISATION, "locale": "en_US"})
    assert english.t("the member joined {months} months ago", months=2) == \
        "the member joined 2 months ago"


def test_check_catalogue_finds_placeholder_mismatches() -> None:
    from dyncrm.i18n import check_catalogue

    assert check_catalogue({"a {x}": "b {x}"}) == []
    assert check_catalogue({"a {x}": "b {y}"}) == ["'a {x}': placeholders ['y'] differ from ['x']"]
