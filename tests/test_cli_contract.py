"""The command line's output contract (docs/cli.md): every command has ``--json``, and
what it prints validates against ``dyncrm/schemas/cli.json``.

One Koperasi XYZ deployment (a copy of the session's ``dyncrm demo`` with ten
members, ``demo_deployment``: a whole year of records) with the test third-party
plugin ``visits`` enabled.  The click tree is
walked as ``dyncrm`` builds it for that deployment; every leaf command must offer
``--json``.  Then every command that runs without arguments is run with
``--json`` (as the chair; as the treasurer, cashier, secretary or a credit
committee member where the chair may not), and a curated set of real
invocations covers the commands that need arguments, actions and their replays
and errors included.  Each output must be exactly one JSON document valid under
the schema, ``ok`` agreeing with the exit code.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

import click
import pytest
from jsonschema import Draft202012Validator
from thirdparty import on_sys_path

from dyncrm.session_store import SessionStore
from dyncrm.testing import run_cli, sign_in

SCHEMA = json.loads(files("dyncrm").joinpath("schemas/cli.json").read_text(encoding="utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)
#: One validator per kind of document, for errors that say which field is wrong.
BY_KIND = {kind: Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": SCHEMA["$defs"]})
           for kind in ("list", "object", "action", "error")}

#: Who runs a command, tried in this order while the previous one is refused permission.
PEOPLE = ("ketua", "bendahara", "kasir", "sekretaris", "panitia1")

#: Commands not run without arguments here, and why.
NOT_RUN_BARE = {
    "serve": "serves until stopped",
    "login": "asks for a password (signing in is what run_cli does for every command)",
    "passwd": "asks for passwords",
    "logout": "run last, in the curated set",
    "demo": "made the deployment (its --json output is checked there)",
    "init": "writes into the current folder; run in the curated set with a folder",
    "backup": "run in the curated set with --out",
}


def leaves(config: Path) -> dict[str, click.Command]:
    """Every leaf command of the tree ``dyncrm -c CONFIG`` builds, by its path."""
    from dyncrm.cli import cli

    root = click.Context(cli, info_name="dyncrm")
    root.params["config"] = str(config)
    found: dict[str, click.Command] = {}

    def walk(group: click.Group, ctx: click.Context, prefix: tuple[str, ...]) -> None:
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            path = (*prefix, name)
            if isinstance(cmd, click.Group):
                walk(cmd, click.Context(cmd, parent=ctx, info_name=name), path)
            else:
                found[" ".join(path)] = cmd

    walk(cli, root, ())
    return found


def valid(out: str, code: int) -> dict:
    """The one JSON document in ``out``, checked against the schema and the exit code."""
    document = json.loads(out)  # exactly one document: json.loads refuses trailing text
    validator = BY_KIND.get(document.get("kind"), VALIDATOR)
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
              for e in validator.iter_errors(document)]
    assert not errors, (document.get("command"), errors[:5])
    VALIDATOR.validate(document)
    assert document["ok"] is (code == 0), (code, document)
    if code:
        assert document["error"]["exit_code"] == code
    return document


@pytest.fixture(scope="module")
def deployment(demo_deployment, tmp_path_factory: pytest.TempPathFactory, visits_site: Path):
    """A copy of the session's demo deployment with ``visits`` enabled: (config path, the
    demo's JSON output), its people signed in once (sessions in a folder of the module)."""
    demo = valid(json.dumps(demo_deployment.summary), 0)
    assert demo["command"] == "demo" and demo["kind"] == "object"
    base = tmp_path_factory.mktemp("contract")
    config = demo_deployment.copy(base)
    with on_sys_path(visits_site, "dyncrm_visits"), pytest.MonkeyPatch.context() as mp:
        mp.setenv("DYNCRM_SESSION_DIR", str(base / "sessions"))
        text = config.read_text(encoding="utf-8")
        text, n = re.subn(r'(\nenabled = \[)', r'\1"visits", "visits.reports", ', text, count=1)
        assert n == 1
        config.write_text(text, encoding="utf-8")
        code, out, err = run_cli(["-c", str(config), "db", "upgrade", "--json"])
        assert code == 0, err
        valid(out, code)
        for person in PEOPLE:
            sign_in(config, person)
        yield config, demo, base / "sessions"


@pytest.fixture
def run(deployment, tmp_path, monkeypatch):
    """``run(args, as_=...)``: the command with ``--json``, output validated; (code, doc).

    People act through the sessions signed in once for the module (signed in again
    only when a command ended one, ``logout``)."""
    config, _, sessions = deployment
    monkeypatch.setenv("DYNCRM_SESSION_DIR", str(sessions))
    monkeypatch.chdir(tmp_path)  # commands that write files by default write them here
    store = SessionStore(config, sessions)

    def runner(args: list[str], *, as_: str | None = "ketua", stdin: str | None = None):
        who = ["--as", as_] if as_ else []
        if as_ and store.token(as_) is None:
            sign_in(config, as_)
        code, out, err = run_cli(["-c", str(config), *who, *args, "--json"], input=stdin,
                                 signed_in=False)
        assert out.strip(), f"{args}: nothing on stdout (exit {code}; {err})"
        return code, valid(out, code)

    return runner


def test_every_command_offers_json(deployment) -> None:
    config = deployment[0]
    found = leaves(config)
    assert {"visits log", "visits list", "laporan visits", "loan approve",
            "payroll import", "savings verify", "shu post"} <= set(found)
    missing = sorted(path for path, cmd in found.items()
                     if not any("--json" in p.opts for p in cmd.params))
    assert not missing, missing
    assert len(found) > 150


def test_every_command_without_arguments_prints_valid_json(deployment, run) -> None:
    config = deployment[0]
    ran, broken = 0, []
    for path, cmd in sorted(leaves(config).items()):
        if path in NOT_RUN_BARE or any(p.required for p in cmd.params):
            continue
        try:
            for person in PEOPLE:
                code, doc = run(path.split(), as_=person)
                if doc["ok"] or doc["error"]["type"] != "permission_denied":
                    break
            assert code in (0, 1, 2), doc  # 2: needs one of its options (user revoke)
        except (AssertionError, ValueError) as exc:
            broken.append(f"{path}: {str(exc)[:300]}")
        ran += 1
    assert not broken, "\n".join(broken)
    assert ran > 50


def _refs(config: Path) -> dict:
    """Real numbers from the deployment: a member, a loan, a ticket, an entry, a deposit."""
    from dyncrm.app import open_crm
    from dyncrm.db.models import JournalEntry, Member

    with open_crm(config) as crm:
        member = Member.select().where(Member.stage == "active").order_by(Member.id).first()
        from dyncrm_expand.loans.models import Loan
        from dyncrm_retain.feedback.models import FeedbackTicket

        loan = Loan.select().order_by(Loan.id).first()
        ticket = FeedbackTicket.select().order_by(FeedbackTicket.id).first()
        entry = JournalEntry.select().order_by(JournalEntry.id.desc()).first()
        crm.close()
    return {"member": member.number, "loan": str(loan.id), "ticket": ticket.number,
            "entry": str(entry.id)}


def test_commands_with_arguments_actions_replays_and_errors(deployment, run, tmp_path) -> None:
    config = deployment[0]
    ref = _refs(config)
    m = ref["member"]
    reads = [
        ["member", "timeline", m], ["member", "show", m], ["loan", "show", ref["loan"]],
        ["savings", "balance", m], ["savings", "statement", m],
        ["feedback", "show", ref["ticket"]], ["ledger", "account", "savings.wajib"],
        ["ledger", "entries", "--limit", "5"], ["ledger", "trial-balance"],
        ["books", "balance-sheet"], ["books", "income-statement", "--year", "2025"],
        ["shu", "compute", "--year", "2025"], ["laporan", "simpanan"],
        ["laporan", "visits", "--from", "2025-01-01", "--to", "2025-12-31"],
        ["payroll", "list", "--month", "2025-12"], ["visits", "list", m],
    ]
    for args in reads:
        for person in ("ketua", "bendahara"):
            code, doc = run(args, as_=person)
            if doc["ok"] or doc["error"]["type"] != "permission_denied":
                break
        assert code in (0, 1), (args, doc)

    # an action, its replay, and the same action refused
    code, first = run(["visits", "log", m, "--note", "kontrak", "--key", "c-1"], as_="kasir")
    assert code == 0 and first["kind"] == "action" and first["replayed"] is False
    code, again = run(["visits", "log", m, "--note", "kontrak", "--key", "c-1"], as_="kasir")
    assert again["replayed"] is True and again["data"] == first["data"]
    code, refused = run(["visits", "log", "XYZ-0000-99999", "--key", "c-2"], as_="kasir")
    assert code == 1 and refused["kind"] == "error" and refused["command"] == "visits log"

    # money and time in the contract's shapes
    code, listed = run(["loan", "list"], as_="bendahara")
    assert code == 0 and listed["kind"] == "list"
    code, timeline = run(["member", "timeline", m])
    assert all(re.search(r"[+-]07:00$", t["at"]) for t in timeline["data"]["touchpoints"])

    # more actions on real data
    actions = [
        (["feedback", "note", ref["ticket"], "dicek", "--key", "n-1"], "sekretaris"),
        (["faq", "add", "--question", "Kapan SHU dibagi?", "--answer", "Setelah RAT.",
          "--key", "f-1"], "sekretaris"),
        (["user", "add", "tamu", "--role", "cashier"], "ketua"),
        (["user", "set-role", "tamu", "secretary"], "ketua"),
        (["user", "disable", "tamu"], "ketua"),
        (["user", "enable", "tamu"], "ketua"),
        (["user", "reset-password", "tamu"], "ketua"),
        (["outbox", "send", "--limit", "2"], None),
        (["run-due"], None),
        (["backup", "--out", str(tmp_path / "b.tar")], "ketua"),
        (["init", str(tmp_path / "fresh")], None),
        (["plugin", "new", "kunjungan", "--dir", str(tmp_path / "plug")], None),
        (["loan", "agreement", ref["loan"], "--out", str(tmp_path / "a.pdf")], "bendahara"),
        (["savings", "passbook", m, "--out", str(tmp_path / "p.pdf")], "bendahara"),
        (["card", "print", m, "--out", str(tmp_path / "c.pdf")], "sekretaris"),
        (["laporan", "semua", "--dir", str(tmp_path / "lap")], "bendahara"),
        (["ledger", "reverse", ref["entry"], "--reason", "uji"], "bendahara"),
        (["shu", "slip", "--year", "2025", m, "--pdf", str(tmp_path / "s.pdf")], "bendahara"),
        (["logout"], "ketua"),
    ]
    for args, person in actions:
        code, doc = run(args, as_=person)
        assert code in (0, 1), (args, doc)
        if code == 0 and doc["kind"] == "action":
            assert isinstance(doc["replayed"], bool) and doc["message"], (args, doc)


def test_errors_are_one_json_document_with_the_exit_code(deployment, run) -> None:
    code, doc = run(["loan", "show", "999999"], as_="bendahara")
    assert code == 1 and doc["error"]["type"] == "not_found_error"
    code, doc = run(["loan", "list", "--status", "nonsense"], as_="bendahara")
    assert code == 2 and doc["error"]["type"] == "usage_error"
    code, doc = run(["user", "list"], as_="kasir")
    assert code == 1 and doc["error"]["type"] == "permission_denied"
