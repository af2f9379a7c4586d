"""The retain issue's "done when", through the real CLI on fresh databases, with a real SMTP
server on loopback receiving the messages:

- a member files a complaint, staff acknowledge, reply and resolve it, the member rates it,
  the report shows it;
- FAQ search finds entries by words in their answers;
- ``dyncrm remind run`` over a month of simulated days sends each due reminder exactly once,
  skipping items paid meanwhile; a run killed half way (SIGKILL) and re-run sends nothing twice.

The due items come from ``test.dues`` (tests/retain/plugins/dyncrm_test_dues), installed for
these tests as a distribution of its own so the CLI finds it by entry point like any plugin.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from retain_support import RETAIN, add_member, add_staff, smtp_notify, smtp_server, write_config
from thirdparty import on_sys_path, write_distribution

from dyncrm.app import open_crm
from dyncrm.testing import run_cli, snapshot, today_of

DUES_PACKAGE = Path(__file__).resolve().parent / "plugins" / "dyncrm_test_dues"


@pytest.fixture(scope="module")
def dues_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("retain-dues-site")
    write_distribution(site, DUES_PACKAGE, name="dyncrm-test-dues", version="0.1",
                       entry_points={"dyncrm": {"test.dues": "dyncrm_test_dues"}},
                       summary="Due items from a JSON file (retain tests)")
    return site


@pytest.fixture
def mail():
    with smtp_server() as (box, port):
        yield box, port


def cli(config: Path, *args: str, user: str | None = None, expect: int = 0) -> str:
    argv = ["-c", str(config)] + (["--as", user] if user else []) + list(args)
    code, out, err = run_cli(argv)
    assert code == expect, f"dyncrm {' '.join(args)} -> {code}\n{out}\n{err}"
    return out + err if expect else out


def dump(db: Path) -> dict:
    """Every row of every table: what "the database is unchanged" compares."""
    return snapshot(db, exclude={"faq_search*"})


def fresh_deployment(tmp_path: Path, port: int, *, enabled, plugins=None) -> Path:
    config = write_config(tmp_path, enabled=enabled, notify=smtp_notify(port), plugins=plugins)
    assert "applied" in cli(config, "db", "upgrade")
    return config


def people(config: Path) -> None:
    """Members and staff, made with the core only (no registration plugin)."""
    with open_crm(config) as crm:
        add_member(crm, "Siti Aminah", number="A001", login="siti")
        add_member(crm, "Budi Santoso", number="A002", login="budi")
        add_member(crm, "Ani Wulandari", number="A003", opt_out=True)
        add_staff(crm, "admin", "admin")
        add_staff(crm, "sec", "secretary")
        add_staff(crm, "bendahara", "treasurer")


# --- feedback and FAQ ---------------------------------------------------------------------


def test_a_complaint_from_filing_to_rating_and_the_report(tmp_path, mail):
    box, port = mail
    config = fresh_deployment(tmp_path, port, enabled=RETAIN)
    people(config)
    db = tmp_path / "crm.db"

    out = cli(config, "feedback", "submit", "--category", "service", "--subject",
              "Antrean terlalu lama", "--text", "Saya menunggu dua jam di loket.", user="siti")
    number = re.search(r"filed ticket (\S+)", out).group(1)
    year = today_of(config).year  # the deployment's year (Jakarta), not the machine's
    assert number == f"FB-{year}-00001"

    before = dump(db)
    err = cli(config, "feedback", "submit", "--category", "weather", "--subject", "x",
              "--text", "y", user="siti", expect=1)
    assert "'weather' is not a category" in err and "Traceback" not in err
    assert dump(db) == before  # refused input leaves the database as it was

    cli(config, "feedback", "ack", number, "--message", "Kami sedang memeriksanya.", user="sec")
    assert "already recorded" in cli(config, "feedback", "ack", number, user="sec")
    cli(config, "feedback", "note", number, "Sistem antrean mati hari Senin.", user="sec")
    cli(config, "feedback", "reply", number, "Kami menambah satu loket.", user="sec")
    err = cli(config, "feedback", "rate", number, "5", user="siti", expect=1)
    assert f"cannot rate ticket {number}: it is 'acknowledged'" in err
    cli(config, "feedback", "resolve", number, "Loket kedua dibuka setiap Senin.", user="sec")
    assert "rated 5/5" in cli(config, "feedback", "rate", number, "5", user="siti")

    shown = cli(config, "feedback", "show", number, user="siti")
    assert "Kami menambah satu loket." in shown and "Sistem antrean mati" not in shown
    assert "Sistem antrean mati" in cli(config, "feedback", "show", number, user="sec")

    # an anonymous suggestion: the secretary does not see who wrote it, the admin does
    anonymous = re.search(r"filed ticket (\S+)", cli(
        config, "feedback", "submit", "--kind", "suggestion", "--category", "loans",
        "--subject", "Bunga", "--text", "Turunkan bunga", "--anonymous", user="budi")).group(1)
    shown = cli(config, "feedback", "show", anonymous, user="sec")
    assert "budi" not in shown.lower() and "(anonymous)" in shown
    listing = cli(config, "feedback", "list", user="sec")
    assert "(anonymous)" in listing and "Budi" not in listing and "A001 Siti Aminah" in listing
    assert "A002 Budi Santoso" in cli(config, "feedback", "list", user="admin")
    assert "Bunga" not in cli(config, "feedback", "list", user="siti")  # members: their own

    report = cli(config, "feedback", "report", user="admin")
    month = today_of(config).strftime("%Y-%m")
    volume_line = next(line for line in report.splitlines() if line.startswith("service"))
    assert month in report and volume_line.split()[-2:] == ["1", "1"]  # this month, in total
    assert "100.0% (1/1)" in report and "5.00" in report
    data = json.loads(cli(config, "feedback", "report", "--json", user="admin"))["data"]
    service = next(r for r in data["summary"] if r["category"] == "service")
    assert (service["tickets"], service["ack_within_sla"], service["resolved_within_sla"],
            service["avg_rating"], service["csat"]) == (1, "100.0% (1/1)", "100.0% (1/1)",
                                                        "5.00", "100.0%")
    loans = next(r for r in data["volume"] if r["category"] == "loans")
    assert {"month": month, "count": 1} in loans["months"] and loans["total"] == 1
    csv_path, pdf_path = tmp_path / "laporan.csv", tmp_path / "laporan.pdf"
    cli(config, "feedback", "report", "--csv", str(csv_path), "--pdf", str(pdf_path),
        user="admin")
    assert csv_path.read_text().splitlines()[0].startswith("category,")
    assert pdf_path.read_bytes().startswith(b"%PDF-")
    cli(config, "feedback", "report", user="siti", expect=1)

    assert "sent 5" in cli(config, "outbox", "send", user="sec")
    to_siti = [str(m["Subject"]) for m in box.to("siti@example.org")]
    assert to_siti == [f"We received your complaint {number}",
                       f"Ticket {number} is being looked at", f"Reply to ticket {number}",
                       f"Ticket {number} resolved"]
    bodies = " ".join(m.get_content() for m in box.to("siti@example.org"))
    assert "Kami menambah satu loket." in bodies and "Sistem antrean mati" not in bodies
    assert [str(m["Subject"]) for m in box.to("budi@example.org")] == [
        "We received your feedback"]


def test_faq_search_finds_entries_by_words_in_their_answers(tmp_path, mail):
    _, port = mail
    config = fresh_deployment(tmp_path, port, enabled=RETAIN)
    people(config)
    out = cli(config, "faq", "add", "--question", "Bagaimana cara mengajukan pinjaman?",
              "--answer", "Isi formulir pengajuan di kantor koperasi; simpanan wajib harus "
              "lunas.", "--category", "pinjaman", "--publish", user="admin")
    entry = re.search(r"FAQ entry (\d+)", out).group(1)
    cli(config, "faq", "add", "--question", "Kapan SHU dibagikan?", "--answer",
        "Setelah RAT, biasanya bulan Maret.", user="admin")  # not yet published
    found = cli(config, "faq", "search", "FORMULIR", "kantor")  # no --as: a member of the public
    assert "Bagaimana cara mengajukan pinjaman?" in found
    assert "no entry matches" in cli(config, "faq", "search", "Maret")  # unpublished
    assert "Kapan SHU" in cli(config, "faq", "search", "maret", user="sec")
    cli(config, "faq", "publish", "2", user="sec")
    assert "Kapan SHU" in cli(config, "faq", "search", "rat")
    shown = cli(config, "faq", "show", entry, "--html")
    assert "<p>Isi formulir pengajuan" in shown
    assert "marked helpful" in cli(config, "faq", "vote", entry, "--yes", user="siti")
    assert "already recorded" in cli(config, "faq", "vote", entry, "--yes", user="siti")
    listing = json.loads(cli(config, "faq", "list", "--json"))["data"]
    assert {e["question"]: (e["views"], e["helpful"]) for e in listing}[
        "Bagaimana cara mengajukan pinjaman?"] == (1, "1/1")
    cli(config, "faq", "add", "--question", "q", "--answer", "a", user="siti", expect=1)

    # a resolved ticket becomes an FAQ entry
    number = re.search(r"filed ticket (\S+)", cli(
        config, "feedback", "submit", "--category", "savings", "--subject",
        "Cara menarik simpanan sukarela?", "--text", "Saya butuh uang sekolah.",
        user="siti")).group(1)
    cli(config, "feedback", "ack", number, user="sec")
    cli(config, "feedback", "resolve", number, "Bawa kartu anggota ke kasir; dana cair hari "
        "itu juga.", user="sec")
    out = cli(config, "faq", "from-ticket", number, user="admin")
    new = re.search(r"FAQ entry (\d+)", out).group(1)
    cli(config, "faq", "publish", new, user="admin")
    assert "Cara menarik simpanan sukarela?" in cli(config, "faq", "search", "kasir", "kartu")


# --- reminders ----------------------------------------------------------------------------


ITEMS = [
    # key, member, due, kind, amount, paid_on, essential
    ("wajib:A001:2026-03", "A001", "2026-03-10", "savings.wajib", "50000", None, True),
    ("inst:A002:1", "A002", "2026-03-20", "loans.installment", "300000", "2026-03-21", True),
    ("inst:A003:1", "A003", "2026-03-14", "loans.installment", "125000", "2026-03-14", True),
    ("promo:A003", "A003", "2026-03-12", "promotion.offer", None, None, False),
]


def write_dues(path: Path) -> None:
    path.write_text(json.dumps({"items": [
        {"key": k, "member": m, "due_on": d, "kind": kind, "amount": a, "paid_on": p,
         "essential": e, "description": k.split(":")[0]}
        for k, m, d, kind, a, p, e in ITEMS]}), encoding="utf-8")


def remind_config(tmp_path: Path, port: int, kill_after: int = 0) -> Path:
    return write_config(tmp_path, enabled=["retain.reminders", "test.dues"],
                        notify=smtp_notify(port),
                        plugins={"test.dues": {"file": "dues.json", "kill_after": kill_after}})


def test_a_month_of_remind_runs_sends_each_reminder_exactly_once(tmp_path, mail, dues_site):
    box, port = mail
    write_dues(tmp_path / "dues.json")
    with on_sys_path(dues_site, "dyncrm_test_dues"):
        config = remind_config(tmp_path, port)
        assert "applied" in cli(config, "db", "upgrade")
        people(config)
        db = tmp_path / "crm.db"
        before = dump(db)
        dry = cli(config, "remind", "run", "--date", "2026-03-03", "--dry-run")
        assert "wajib:A001:2026-03" in dry and "would queue 1" in dry
        assert dump(db) == before

        off = {dt.date(2026, 3, 18), dt.date(2026, 3, 19)}  # the machine was off
        for i in range(31):
            day = dt.date(2026, 3, 1) + dt.timedelta(days=i)
            if day in off:
                continue
            for _ in range(2 if day.day % 5 == 0 else 1):  # sometimes run twice a day
                cli(config, "remind", "run", "--date", day.isoformat())  # cron: no sign-in

        got = Counter((str(m["To"]), str(m["Subject"])) for m in box.messages)
        assert got == Counter({
            ("siti@example.org", "Reminder: wajib due in 7 days"): 1,        # 3 March
            ("siti@example.org", "Reminder: wajib due in 1 day"): 1,         # 9 March
            ("siti@example.org", "Reminder: wajib due today"): 1,            # 10 March
            ("siti@example.org", "Reminder: wajib overdue by 3 days"): 1,    # 13 March
            ("siti@example.org", "Reminder: wajib overdue by 10 days"): 1,   # 20 March
            ("budi@example.org", "Reminder: inst due in 7 days"): 1,         # 13 March
            # -1 fell on the 19th (machine off); the 20th catches up with "today" only
            ("budi@example.org", "Reminder: inst due today"): 1,             # 20 March
            # paid on the 21st: no +3 or +10
            ("ani@example.org", "Reminder: inst due in 7 days"): 1,          # 7 March
            ("ani@example.org", "Reminder: inst due in 1 day"): 1,           # 13 March
            # paid on the due date; the promotion is not essential and Ani opted out
        })
        history = cli(config, "remind", "history", "A001", user="sec")
        assert history.count("wajib:A001:2026-03") == 5 and "sent" in history
        listing = cli(config, "remind", "list", "--date", "2026-03-22", user="sec")
        assert "already sent" in listing and "member opted out" in listing
        cli(config, "remind", "history", "A001", user="budi", expect=1)


def test_a_remind_run_killed_half_way_then_rerun_sends_nothing_twice(tmp_path, mail, dues_site):
    box, port = mail
    path = tmp_path / "dues.json"
    path.write_text(json.dumps({"items": [
        {"key": f"inst:{n}", "member": n, "due_on": "2026-03-16", "amount": "100000",
         "description": f"installment {n}"} for n in ("A001", "A002", "A003")] + [
        {"key": f"wajib:{n}", "member": n, "due_on": "2026-03-16", "amount": "50000",
         "description": f"wajib {n}"} for n in ("A001", "A002", "A003")]}), encoding="utf-8")
    with on_sys_path(dues_site, "dyncrm_test_dues"):
        config = remind_config(tmp_path, port, kill_after=4)
        cli(config, "db", "upgrade")
        people(config)
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [str(dues_site), *filter(None, [os.environ.get("PYTHONPATH")])]))
        proc = subprocess.run([sys.executable, "-m", "dyncrm.cli", "-c", str(config),
                               "remind", "run", "--date", "2026-03-16"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == -9, proc.stderr  # SIGKILL, in the 4th reminder's transaction
        con = sqlite3.connect(tmp_path / "crm.db")
        assert con.execute("SELECT COUNT(*) FROM reminder").fetchone() == (3,)
        assert con.execute("SELECT COUNT(*) FROM outbox_message").fetchone() == (3,)
        con.close()
        assert box.messages == []  # killed before delivering anything

        remind_config(tmp_path, port, kill_after=0)
        out = cli(config, "remind", "run", "--date", "2026-03-16")
        assert "queued 3, 3 already sent" in out and "delivered 6" in out
        out = cli(config, "remind", "run", "--date", "2026-03-16")
        assert "queued 0, 6 already sent" in out and "delivered 0" in out
        got = Counter((str(m["To"]), str(m["Subject"])) for m in box.messages)
        assert len(got) == 6 and set(got.values()) == {1}
