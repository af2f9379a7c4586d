"""Laporan kritik dan saran shows the complaints and suggestions themselves (issue 14): the
tickets with their replies, resolution and rating in the table, CSV and PDF; an anonymous
ticket names nobody."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from pdfs import pdf_text

from dyncrm.testing import Clock
from dyncrm.values import Actor
from koperasi_xyz.laporan import print_table, write_csv, write_pdf
from koperasi_xyz.reports import builders as rb

SITI = ("Siti Aminah", "Siti", "Aminah", "XYZ-2026-00001", "siti.aminah@contoh.id",
        "0812-1234-7890")


@pytest.fixture
def crm(make_crm):
    from dyncrm_retain.feedback import tickets

    clock = Clock(dt.datetime(2026, 3, 2, 3, 0))
    crm = make_crm(enabled=["retain.feedback"], clock=clock)
    op = Actor.operator()
    siti = crm.lifecycle.enrol(op, "Siti Aminah", number="XYZ-2026-00001",
                               email="siti.aminah@contoh.id", phone="0812-1234-7890").id
    ngoc = crm.lifecycle.enrol(op, "Đặng Thị Ngọc", number="XYZ-2026-00002",
                               email="ngoc@contoh.id").id
    with crm.database.atomic():
        crm.users.add("sekretaris", roles=["secretary"])
    sec = crm.actor("sekretaris")
    anon = tickets.submit(crm, op, member=siti, category="service", anonymous=True,
                          subject="Antrean lama",
                          text="Saya Siti Aminah (XYZ-2026-00001) menunggu dua jam; telepon "
                               "0812 1234 7890.").ticket.number
    clock.now = dt.datetime(2026, 3, 3, 3, 0)
    tickets.acknowledge(crm, sec, anon, text="Terima kasih, kami periksa.")
    tickets.add_note(crm, sec, anon, "Catatan internal: sistem antrean mati.")
    tickets.resolve(crm, sec, anon, resolution="Loket kedua dibuka setiap Senin.")
    named = tickets.submit(crm, op, member=ngoc, category="app", kind="suggestion",
                           subject="Bahasa", text="Mohon tambahkan tiếng Việt.").ticket.number
    tickets.reject(crm, sec, named, reason="Belum direncanakan.")
    clock.now = dt.datetime(2026, 3, 28, 3, 0)
    crm.test_numbers = (anon, named)
    return crm


def test_the_report_lists_the_tickets(crm, tmp_path: Path, capsys) -> None:
    anon, named = crm.test_numbers
    lap = rb.feedback_report(crm, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    section = lap.sections[2]
    assert section.heading == "Isi kritik dan saran (2 tiket)"
    first, second = section.rows
    assert first["tiket"] == f"{anon} · 02-03-2026" and first["anggota"] == "(anonim)"
    assert first["jenis"] == "kritik · service · selesai"
    assert first["isi"] == ("Antrean lama: Saya […] ([…]) menunggu dua jam; telepon […].")
    assert first["tanggapan"] == ("03-03-2026: Terima kasih, kami periksa. · "
                                  "Penyelesaian: Loket kedua dibuka setiap Senin.")
    assert second["anggota"] == "XYZ-2026-00002 Đặng Thị Ngọc"
    assert second["jenis"] == "saran · app · ditolak"
    assert second["tanggapan"] == "Ditolak: Belum direncanakan."
    raw = section.raw[0]
    assert (raw["nomor_tiket"], raw["tanggal"], raw["status"], raw["anggota"]) == (
        anon, "2026-03-02", "selesai", "(anonim)")

    print_table(lap)
    shown = capsys.readouterr().out
    csv_path = write_csv(lap, tmp_path / "kritik.csv")
    pdf_path = write_pdf(crm, lap, tmp_path / "kritik.pdf")
    text = csv_path.read_text(encoding="utf-8-sig")
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r.get("nomor_tiket")]
    assert [r["nomor_tiket"] for r in rows] == [anon, named]
    assert rows[0]["tanggapan"] == "2026-03-03: Terima kasih, kami periksa."
    printed = " ".join(pdf_text(pdf_path).split())
    for form in (shown, text, printed):
        assert anon in form and named in form and "Đặng Thị Ngọc" in form
        assert "sistem antrean mati" not in form  # the internal note
        for value in SITI:
            assert value.casefold() not in form.casefold(), value
