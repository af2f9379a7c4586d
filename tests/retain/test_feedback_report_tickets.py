"""The kritik & saran report lists the tickets themselves (issue 14): date, kind, category,
stage, subject and text, replies and resolution, rating, in the terminal, CSV, JSON and PDF;
an anonymous ticket names nobody anywhere in it, whoever prints the report."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from types import SimpleNamespace

import pytest
from pdfs import page_lines, pdf_text
from retain_support import add_member, add_staff, fixed_clock, write_config

from dyncrm.app import open_crm
from dyncrm.testing import run_cli
from dyncrm_retain.feedback import report as feedback_report
from dyncrm_retain.feedback import tickets
from dyncrm_retain.feedback.cli import _write_csv
from dyncrm_retain.feedback.pdf import render

MONDAY = dt.datetime(2026, 3, 2, 3, 0)  # 10:00 in Jakarta
#: What would give the anonymous writer away.
SITI = ("Siti Aminah", "Siti", "Aminah", "A001", "siti.aminah@example.org", "0812-1234-7890",
        "081212347890", "siti_login")


def _setup(crm, clock):
    return SimpleNamespace(
        crm=crm, clock=clock,
        siti_id=add_member(crm, "Siti Aminah", number="A001",
                           email_addr="siti.aminah@example.org", phone="0812-1234-7890",
                           login="siti_login"),
        ngoc_id=add_member(crm, "Đặng Thị Ngọc", number="A002", email_addr="ngoc@example.org",
                           login="ngoc"),
        siti=crm.actor("siti_login"), ngoc=crm.actor("ngoc"),
        sec=add_staff(crm, "sec", "secretary"), admin=add_staff(crm, "admin", "admin"))


@pytest.fixture
def env(make_crm):
    clock = fixed_clock(MONDAY)
    crm = make_crm(enabled=["retain.feedback"], clock=clock)
    return _setup(crm, clock)


def _at(env, day: int, month: int = 3):
    env.clock.at = dt.datetime(2026, month, day, 3, 0)


def history(env):
    """An anonymous complaint whose texts mention its writer, handled and rated; a named
    suggestion in Vietnamese letters, rejected; a named complaint still new."""
    crm = env.crm
    anon = tickets.submit(
        crm, env.siti, category="service", subject="Antrean lama (Siti)", anonymous=True,
        text="Saya, Siti Aminah (A001), menunggu dua jam. Hubungi 0812 1234 7890 atau "
             "siti.aminah@example.org.").ticket.number
    _at(env, 3)
    tickets.acknowledge(crm, env.sec, anon, text="Terima kasih Bu Siti, kami periksa.")
    tickets.add_note(crm, env.sec, anon, "Catatan internal: sistem antrean mati.")
    tickets.reply(crm, env.sec, anon, "Kami menambah satu loket.")
    _at(env, 5)
    tickets.resolve(crm, env.sec, anon, resolution="Loket kedua dibuka setiap Senin.")
    tickets.rate(crm, env.siti, anon, 4, comment="Lebih baik, terima kasih (siti_login)")
    _at(env, 10)
    named = tickets.submit(crm, env.ngoc, category="app", kind="suggestion",
                           subject="Ứng dụng: tiếng Việt",
                           text="Tolong tambahkan bahasa — đề nghị của Ngọc.").ticket.number
    tickets.reject(crm, env.sec, named, reason="Belum direncanakan tahun ini.")
    _at(env, 2, 4)
    fresh = tickets.submit(crm, env.ngoc, category="savings", subject="Bunga sukarela",
                           text="Berapa bunga simpanan sukarela?").ticket.number
    _at(env, 30, 4)
    return anon, named, fresh


def test_the_report_lists_every_ticket_with_its_replies_resolution_and_rating(env):
    anon, named, fresh = history(env)
    rep = feedback_report.build(env.crm, dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    assert [t.number for t in rep.tickets] == [anon, named, fresh]
    a, n, f = rep.tickets
    assert (a.submitted_on, a.kind, a.category, a.stage, a.rating) == (
        dt.date(2026, 3, 2), "complaint", "service", "resolved", 4)
    assert a.member == "(anonymous)" and a.anonymous
    assert a.subject == "Antrean lama ([…])"
    assert a.text == ("Saya, […] ([…]), menunggu dua jam. Hubungi […] atau […].")
    assert a.replies == ((dt.date(2026, 3, 3), "Terima kasih Bu […], kami periksa."),
                         (dt.date(2026, 3, 3), "Kami menambah satu loket."))
    assert a.resolution == "Loket kedua dibuka setiap Senin."
    assert a.rating_comment == "Lebih baik, terima kasih ([…])"
    assert "internal" not in repr(a)  # notes are never listed
    assert (n.member, n.subject, n.stage, n.outcome) == (
        "A002 Đặng Thị Ngọc", "Ứng dụng: tiếng Việt", "rejected",
        "rejected: Belum direncanakan tahun ini.")
    assert n.text == "Tolong tambahkan bahasa — đề nghị của Ngọc."  # named: texts as written
    assert (f.stage, f.rating, f.replies, f.outcome) == ("new", None, (), "")
    # the period decides which tickets are listed; figures alone on request
    march = feedback_report.build(env.crm, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    assert [t.number for t in march.tickets] == [anon, named]
    assert feedback_report.build(env.crm, dt.date(2026, 3, 1), dt.date(2026, 3, 31),
                                 tickets=False).tickets == ()


def test_ticket_lines_are_read_a_page_at_a_time(env):
    history(env)
    whole = list(feedback_report.ticket_lines(env.crm, dt.date(2026, 1, 1),
                                              dt.date(2026, 12, 31)))
    for page in (1, 2, 3):
        assert list(feedback_report.ticket_lines(env.crm, dt.date(2026, 1, 1),
                                                 dt.date(2026, 12, 31), page=page)) == whole


def test_csv_lists_the_tickets_and_no_personal_data_of_the_anonymous_writer(env):
    anon, named, fresh = history(env)
    rep = feedback_report.build(env.crm, dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    out = io.StringIO()
    _write_csv(rep, out)
    text = out.getvalue()
    blocks = text.split("\n\n")
    assert len(blocks) == 3
    rows = list(csv.DictReader(io.StringIO(blocks[2])))
    assert [r["ticket"] for r in rows] == [anon, named, fresh]
    assert list(rows[0]) == list(feedback_report.TICKET_COLUMNS)
    assert rows[0]["submitted"] == "2026-03-02" and rows[0]["rating"] == "4"
    assert rows[0]["replies"] == ("2026-03-03: Terima kasih Bu […], kami periksa.\n"
                                  "2026-03-03: Kami menambah satu loket.")
    assert rows[1]["member"] == "A002 Đặng Thị Ngọc"
    for value in SITI:
        assert value.casefold() not in text.casefold(), value
    assert "Catatan internal" not in text


def test_pdf_lists_the_tickets_in_unicode_and_no_personal_data_of_the_anonymous_writer(
        env, tmp_path):
    anon, named, fresh = history(env)
    rep = feedback_report.build(env.crm, dt.date(2026, 3, 1), dt.date(2026, 4, 30))
    path = tmp_path / "laporan.pdf"
    path.write_bytes(render(env.crm, rep))
    text = " ".join(pdf_text(path).split())  # cells wrap: compare words, not line breaks
    for expected in ("Koperasi Uji", "Feedback report (kritik dan saran)",
                     "1 Maret 2026 – 30 April 2026", "Page 1 of", "CSAT", "The tickets (3)",
                     anon, named, fresh, "A002 Đặng Thị Ngọc", "Ứng dụng: tiếng Việt",
                     "Kami menambah satu loket.", "Loket kedua dibuka setiap Senin.",
                     "Rejected: Belum direncanakan tahun ini.", "4/5", "(anonymous)"):
        assert expected in text, expected
    for value in SITI:
        assert value.casefold() not in text.casefold(), value
    assert "Catatan internal" not in text


def test_a_long_ticket_list_runs_over_pages_with_its_header_row_on_each(env):
    crm = env.crm
    for i in range(40):
        tickets.submit(crm, env.ngoc, category="service", subject=f"Keluhan {i:02d}",
                       text="Antrean di loket terlalu panjang pada jam istirahat. " * 3)
    rep = feedback_report.build(crm, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    pages = page_lines(render(crm, rep))
    assert len(pages) >= 3
    listed = [i for i, page in enumerate(pages) if any("Keluhan" in ln for ln in page)]
    for i in listed:
        assert any(ln.startswith("Ticket / date") and "Subject and text" in ln
                   and "Replies and resolution" in ln for ln in pages[i]), i
    text = "\n".join("\n".join(page) for page in pages)
    assert all(f"Keluhan {i:02d}" in text for i in range(40))
    assert any(ln.endswith(f"Page {len(pages)} of {len(pages)}") for ln in pages[-1])


def test_the_report_command_shows_the_tickets_in_every_form(tmp_path):
    config = write_config(tmp_path, enabled=["retain.feedback"], notify={
        "default_channel": "file"})
    assert run_cli(["-c", str(config), "db", "upgrade"])[0] == 0
    clock = fixed_clock(MONDAY)
    with open_crm(config, clock=clock) as crm:
        env = _setup(crm, clock)
        anon, named, fresh = history(env)

    def cli(*args):
        code, out, err = run_cli(["-c", str(config), "--as", "sec", "feedback", "report",
                                  "--since", "2026-03-01", "--until", "2026-04-30", *args])
        assert code == 0, err
        return out

    shown = cli()
    assert "Tickets (3)" in shown and anon in shown and "(anonymous)" in shown
    assert "reply 2026-03-03: Kami menambah satu loket." in shown
    assert "resolution: Loket kedua dibuka setiap Senin." in shown
    assert "Đặng Thị Ngọc" in shown and "rating 4/5" in shown
    data = json.loads(cli("--json"))["data"]
    assert [t["ticket"] for t in data["tickets"]] == [anon, named, fresh]
    csv_path, pdf_path = tmp_path / "out" / "kritik.csv", tmp_path / "out" / "kritik.pdf"
    cli("--csv", str(csv_path), "--pdf", str(pdf_path))
    assert csv_path.stat().st_mode & 0o777 == 0o600 and pdf_path.stat().st_mode & 0o777 == 0o600
    everything = [shown, json.dumps(data, ensure_ascii=False),
                  csv_path.read_text(encoding="utf-8"), pdf_text(pdf_path)]
    for form in everything:
        for value in SITI:
            assert value.casefold() not in form.casefold(), value
