"""The Koperasi XYZ deployment's portal: Indonesian, and every staff role signs in."""

from __future__ import annotations

import json

import pytest
from portal import STAFF, member_login

from dyncrm.testing import run_cli, web_client


def test_the_portal_speaks_indonesian(kop):
    page = web_client(kop).get("/login").get_data(as_text=True)
    assert '<html lang="id">' in page and "Nama pengguna" in page and "Kata sandi" in page


@pytest.mark.parametrize("user", sorted(STAFF))
def test_every_staff_member_reaches_the_dashboard_and_the_queue(kop, user):
    client = web_client(kop, user)
    assert "Dasbor" in client.get("/").get_data(as_text=True)
    assert client.get("/queue").status_code == 200


def test_a_member_reaches_their_own_dashboard(kop):
    _, username = member_login(kop)
    page = web_client(kop, username).get("/").get_data(as_text=True)
    assert "Dasbor saya" in page


def test_a_member_reads_their_own_messages_and_nobody_elses(kop):
    siti, siti_login = member_login(kop, "Siti Aminah")
    budi, _ = member_login(kop, "Budi Santoso")
    with kop.database.atomic():
        kop.outbox.queue(recipient="siti@contoh.id", subject="Setoran diterima",
                         body="Setoran Anda Rp 500.000 diterima.", channel="file",
                         member_id=siti, kind="savings.deposit")
        kop.outbox.queue(recipient="budi@contoh.id", subject="Pinjaman disetujui",
                         body="Rahasia Budi", channel="file", member_id=budi,
                         kind="loans.decision")
        kop.outbox.queue(recipient="siti@contoh.id", subject="Kode", body="kode 123",
                         channel="file", member_id=siti, kind="auth.reset")
    client = web_client(kop, siti_login)
    home = client.get("/").get_data(as_text=True)
    assert "Pesan terbaru" in home and "Setoran diterima" in home
    page = client.get("/messages/").get_data(as_text=True)
    assert "Setoran Anda Rp 500.000 diterima." in page
    assert "Rahasia Budi" not in page and "Pinjaman disetujui" not in page
    assert "kode 123" not in page  # sign-in codes are not shown


def test_staff_have_no_inbox(kop):
    assert web_client(kop, "kasir").get("/messages/").status_code == 403


def test_staff_actions_in_the_portal_are_audited_with_channel_web(kop):
    from dyncrm.db.models import ActionLog

    client = web_client(kop, "sekretaris")
    made = client.post("/faq/manage/new", {"question": "Kapan SHU dibagi?",
                                           "answer": "Setelah RAT.", "category": "shu"})
    assert made.status_code == 303
    [row] = ActionLog.select().where(ActionLog.actor == "sekretaris")
    assert row.channel == "web"
    code, out, err = run_cli(["-c", str(kop.config.path), "--as", "ketua", "audit",
                              "--json"])
    assert code == 0, err
    assert any(r["by"] == "sekretaris" and r["channel"] == "web"
               for r in json.loads(out)["data"])
