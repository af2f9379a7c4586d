"""Koperasi XYZ's own pages: reports (laporan), the chair's card, SHU and payroll."""

from __future__ import annotations

import pytest
from portal import ROLES, USER_OF, member_login

from dyncrm.testing import snapshot, web_client

REPORTS = ["/laporan/", "/laporan/anggota", "/laporan/simpanan"]


def user_of(kop, role: str) -> str:
    """The login holding ``role`` (``member``: a new member's own login)."""
    if role == "member":
        return member_login(kop)[1]
    return USER_OF[role]


# --- reports ------------------------------------------------------------------------


@pytest.mark.parametrize("path", REPORTS)
def test_anonymous_visitors_are_sent_to_sign_in(kop, path):
    response = web_client(kop).get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", REPORTS)
@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_report_pages_permission_matrix(kop, path, role):
    status = web_client(kop, user_of(kop, role)).get(path).status_code
    assert status == (403 if role == "member" else 200)


def test_the_report_list_names_every_report(kop):
    page = web_client(kop, "ketua").get("/laporan/").get_data(as_text=True)
    for name in ("anggota", "simpanan", "pinjaman", "potongan", "kritik-saran", "parkkim"):
        assert f"/laporan/{name}" in page


@pytest.mark.parametrize("name,query", [("anggota", ""), ("simpanan", "as_of=2026-01-31"),
                                        ("anggota-baru", "since=2026-01-01&until=2026-06-30"),
                                        ("potongan", "month=2026-03")])
def test_reports_download_as_pdf_and_csv(kop, name, query):
    member_login(kop)
    client = web_client(kop, "sekretaris")
    pdf = client.get(f"/laporan/{name}?{query}&format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert "attachment" in pdf.headers["Content-Disposition"]
    assert f"laporan-{name}.pdf" in pdf.headers["Content-Disposition"]
    csv = client.get(f"/laporan/{name}?{query}&format=csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert csv.data.decode("utf-8-sig").count("\n") >= 1
    summary = client.get(f"/laporan/{name}?{query}&format=ringkasan")
    assert summary.status_code == 200 and summary.mimetype == "text/csv"
    assert f"laporan-{name}-ringkasan.csv" in summary.headers["Content-Disposition"]
    assert summary.data.decode("utf-8-sig").startswith("bagian,keterangan,nilai")


def test_the_web_csv_is_the_file_the_command_line_writes(kop, tmp_path):
    from dyncrm.reports import collect
    from koperasi_xyz.reports.runner import run, write

    member_login(kop)
    lap = run(kop, kop.actor("ketua"), collect(kop.pm)["simpanan"], {})
    path = write(kop, lap, "csv", tmp_path / "x.csv")
    web = web_client(kop, "ketua").get("/laporan/simpanan?format=csv").data
    assert web == path.read_bytes()


@pytest.mark.parametrize("query,field", [("as_of=31-31-2026", "as_of"),
                                         ("as_of=1066-01-01", "as_of")])
def test_bad_report_options_re_render_with_the_error(kop, query, field):
    before = snapshot(kop)
    response = web_client(kop, "ketua").get(f"/laporan/anggota?{query}&format=pdf")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="e-{field}"' in page and 'aria-invalid="true"' in page
    assert snapshot(kop) == before


@pytest.mark.parametrize("query,field", [("", "month"), ("month=2026-13", "month")])
def test_a_required_or_bad_month_is_refused(kop, query, field):
    response = web_client(kop, "ketua").get(f"/laporan/potongan?{query}&format=csv")
    assert response.status_code == 400
    assert f'id="e-{field}"' in response.get_data(as_text=True)


def test_an_unknown_report_or_format(kop):
    client = web_client(kop, "ketua")
    assert client.get("/laporan/nope").status_code == 404
    assert client.get("/laporan/anggota?format=exe").status_code == 400


# --- the chair's card -------------------------------------------------------------------


def test_the_chair_sees_the_figures_card(kop):
    member_login(kop)
    page = web_client(kop, "ketua").get("/").get_data(as_text=True)
    assert "<meter" in page and "Simpanan pokok" in page
    assert 'style="' not in page


def test_a_member_does_not_see_the_chair_card(kop):
    _, user = member_login(kop)
    page = web_client(kop, user).get("/").get_data(as_text=True)
    assert "<meter" not in page


# --- SHU ---------------------------------------------------------------------------------

SHU_POSTS = {"/shu/enter": {"admin", "treasurer"}, "/shu/post": {"admin", "treasurer"},
             "/shu/approve": set(ROLES)}


@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_shu_page_permission_matrix(kop, role):
    status = web_client(kop, user_of(kop, role)).get("/shu/").status_code
    assert status == (403 if role == "member" else 200)


@pytest.mark.parametrize("path", sorted(SHU_POSTS))
@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_shu_actions_permission_matrix(kop, path, role):
    client = web_client(kop, user_of(kop, role))
    before = snapshot(kop)
    response = client.post(path, data={"year": "tahun"})
    # allowed: the bad year is refused with its error; others: 403
    assert response.status_code == (400 if role in SHU_POSTS[path] else 403)
    assert snapshot(kop) == before


def test_shu_pages_send_visitors_to_sign_in(kop):
    client = web_client(kop)
    for path in ("/shu/", "/shu/slip/2025.pdf"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def _shu_year(kop) -> tuple[tuple[int, str], tuple[int, str]]:
    """Two members of 2025; SHU 2025 entered, approved and posted through the pages."""
    import datetime as dt

    a = member_login(kop, "Siti Aminah", joined_on=dt.date(2025, 1, 10), number="A-0001")
    b = member_login(kop, "Budi Santoso", joined_on=dt.date(2025, 2, 1), number="A-0002")
    treasurer, chair = web_client(kop, "bendahara"), web_client(kop, "ketua")
    done = treasurer.post("/shu/enter", data={"year": "2025", "amount": "10.000.000"})
    assert done.status_code == 303
    assert "10.000.000" in treasurer.get(done.headers["Location"]).get_data(as_text=True)
    assert treasurer.post("/shu/approve", data={"year": "2025"}).status_code == 303
    assert chair.post("/shu/approve", data={"year": "2025"}).status_code == 303
    assert treasurer.post("/shu/post", data={"year": "2025"}).status_code == 303
    return a, b


def test_shu_year_through_the_pages_and_the_members_slips(kop):
    (a_id, a_user), (b_id, b_user) = _shu_year(kop)
    page = web_client(kop, "bendahara").get("/shu/?year=2025").get_data(as_text=True)
    assert "Siti Aminah" in page and "Budi Santoso" in page
    member = web_client(kop, a_user)
    home = member.get("/").get_data(as_text=True)
    assert "/shu/slip/2025.pdf" in home and "Budi" not in home
    slip = member.get("/shu/slip/2025.pdf")
    assert slip.status_code == 200 and slip.data.startswith(b"%PDF")
    assert "attachment" in slip.headers["Content-Disposition"]
    number = kop.member(a_id).number
    assert number in slip.headers["Content-Disposition"]
    other = web_client(kop, b_user).get("/shu/slip/2025.pdf")
    assert kop.member(b_id).number in other.headers["Content-Disposition"]
    assert number not in other.headers["Content-Disposition"]
    assert member.get("/shu/slip/2024.pdf").status_code == 404


def test_issued_slips_are_what_members_download(kop):
    """Issue 14: once the year's slips are issued (archived), a member downloads the slip
    as issued, byte for byte; issuing again archives nothing and says so."""
    from dyncrm import archive
    from koperasi_xyz.shu.issued import KIND, issued

    (a_id, a_user), _ = _shu_year(kop)
    assert web_client(kop, "kasir").post("/shu/slips", data={"year": "2025"}).status_code \
        == 403
    before = snapshot(kop)
    refused = web_client(kop, "bendahara").post("/shu/slips", data={"year": "2024"})
    assert refused.status_code == 400 and "dyncrm shu post --year 2024" in \
        refused.get_data(as_text=True)
    assert snapshot(kop) == before and archive.find(kop, KIND, "2025") is None
    secretary = web_client(kop, "sekretaris")
    page = secretary.get("/shu/?year=2025").get_data(as_text=True)
    assert "/shu/slips" in page and "Terbitkan slip SHU anggota" in page
    done = secretary.post("/shu/slips", data={"year": "2025"})
    assert done.status_code == 303
    page = secretary.get(done.headers["Location"]).get_data(as_text=True)
    assert "Slip SHU 2025 sudah diterbitkan: 2 slip" in page
    assert "Slip anggota diterbitkan pada" in page and "/shu/slips" not in page
    kept = issued(kop, 2025).slip_of(a_id)
    member = web_client(kop, a_user)
    for _ in range(2):
        slip = member.get("/shu/slip/2025.pdf")
        assert slip.status_code == 200 and slip.data == archive.content(kop, kept)
        assert kept.name in slip.headers["Content-Disposition"]
    again = secretary.post("/shu/slips", data={"year": "2025"})
    assert "sudah diterbitkan pada" in secretary.get(again.headers["Location"]).get_data(
        as_text=True)
    assert len(archive.list_files(kop, kind=KIND)) == 3  # two slips and the index


def test_staff_cannot_use_the_member_slip_route(kop):
    assert web_client(kop, "ketua").get("/shu/slip/2025.pdf").status_code == 403


def test_shu_refusals_are_shown_and_nothing_written(kop):
    client = web_client(kop, "bendahara")
    before = snapshot(kop)
    year = kop.today().year
    response = client.post("/shu/enter", data={"year": str(year), "amount": "1.000.000"})
    assert response.status_code == 400 and f"31 Desember {year}" in \
        response.get_data(as_text=True)
    response = client.post("/shu/enter", data={"year": "2025", "amount": "sejuta"})
    assert response.status_code == 400 and 'id="e-amount"' in response.get_data(as_text=True)
    response = client.post("/shu/post", data={"year": "2025"})
    assert response.status_code == 400 and "belum disetujui" in response.get_data(as_text=True)
    assert snapshot(kop) == before
    assert client.get("/shu/?year=abc").status_code == 400


# --- payroll ---------------------------------------------------------------------------

MONTH = "2026-11"


def _employee(kop, name: str = "Andi Wijaya", emp: str = "E001") -> int:
    """An active member of 2025 with an employee number, whose dues go on the list."""
    import datetime as dt

    from dyncrm_acquire.models import ApplicationRow

    member_id, _ = member_login(kop, name, joined_on=dt.date(2025, 1, 10))
    with kop.database.atomic():
        ApplicationRow.create(member=member_id, status="approved", nik="3171010190000001",
                              employee_number=emp, department="Produksi",
                              take_home_pay=5_000_000, submitted_by="test")
    return member_id


def _upload(client, data: bytes, batch: str = "HR-2026-11", month: str = MONTH, **extra):
    import io

    form = {"import_month": month, "batch": batch,
            "file": (io.BytesIO(data), "konfirmasi.csv"), **extra}
    return client.post("/potongan/import", data=form, content_type="multipart/form-data")


@pytest.mark.parametrize("path", ["/potongan/", f"/potongan/list?month={MONTH}&format=csv"])
@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_payroll_pages_permission_matrix(kop, path, role):
    status = web_client(kop, user_of(kop, role)).get(path).status_code
    assert status == (403 if role == "member" else 200)


@pytest.mark.parametrize("role", [*ROLES, "member"])
def test_payroll_import_permission_matrix(kop, role):
    client = web_client(kop, user_of(kop, role))
    before = snapshot(kop)
    response = _upload(client, b"", month="bulan")
    assert response.status_code == (400 if role == "treasurer" else 403)
    assert snapshot(kop) == before


def test_payroll_pages_send_visitors_to_sign_in(kop):
    client = web_client(kop)
    for response in (client.get("/potongan/"), _upload(client, b"x")):
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_deduction_list_downloads_are_the_command_line_files(kop, tmp_path):
    import datetime as dt

    from koperasi_xyz.payroll.export import write_csv
    from koperasi_xyz.payroll.listing import deduction_list, settings_of

    _employee(kop)
    client = web_client(kop, "kasir")
    csv = client.get(f"/potongan/list?month={MONTH}&format=csv")
    assert csv.status_code == 200 and "attachment" in csv.headers["Content-Disposition"]
    expected = write_csv(deduction_list(kop, dt.date(2026, 11, 1)), tmp_path / "p.csv",
                         delimiter=settings_of(kop).csv_delimiter)
    assert csv.data == expected.read_bytes() and b"E001" in csv.data
    pdf = client.get(f"/potongan/list?month={MONTH}&format=pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get("/potongan/list").status_code == 200  # no month yet: the form
    bad = client.get("/potongan/list?month=2026-13&format=csv")
    assert bad.status_code == 400 and 'id="e-month"' in bad.get_data(as_text=True)


def test_a_sent_list_downloads_as_sent_and_live_only_when_asked(kop):
    """Issue 14: once the month's list is sent (archived), the page's downloads are the list
    as sent, byte for byte, whatever the records say later; 'today's records' recomputes."""
    from dyncrm import archive
    from koperasi_xyz.payroll.sent import KIND, file_names

    _employee(kop)
    kasir, secretary = web_client(kop, "kasir"), web_client(kop, "sekretaris")
    before = snapshot(kop)
    assert kasir.post("/potongan/send", data={"send_month": MONTH}).status_code == 403
    assert snapshot(kop) == before
    page = secretary.get("/potongan/").get_data(as_text=True)
    assert "Belum ada daftar yang dikirim" in page and "/potongan/send" in page
    assert "/potongan/send" not in kasir.get("/potongan/").get_data(as_text=True)
    done = secretary.post("/potongan/send", data={"send_month": MONTH})
    assert done.status_code == 303
    page = secretary.get(done.headers["Location"]).get_data(as_text=True)
    assert f"Daftar {MONTH} dikirim: 1 anggota" in page and "November 2026" in page
    sent = archive.find(kop, KIND, MONTH)
    names = file_names(MONTH)
    _employee(kop, "Budi Santoso", "E002")  # the records change after the list was sent
    for fmt in ("csv", "pdf"):
        got = kasir.get(f"/potongan/list?month={MONTH}&format={fmt}")
        assert got.status_code == 200
        assert got.data == archive.content(kop, sent.file(names[fmt]))
        assert names[fmt] in got.headers["Content-Disposition"]
    csv = kasir.get(f"/potongan/list?month={MONTH}&format=csv").data
    assert b"E001" in csv and b"E002" not in csv
    live = kasir.get(f"/potongan/list?month={MONTH}&format=csv&live=1").data
    assert b"E001" in live and b"E002" in live
    part = kasir.get(f"/potongan/list?month={MONTH}&format=csv&department=produksi").data
    assert b"E001" in part and b"E002" not in part  # one department of the list as sent
    again = secretary.post("/potongan/send", data={"send_month": MONTH})
    page = secretary.get(again.headers["Location"]).get_data(as_text=True)
    assert f"Daftar {MONTH} sudah dikirim pada" in page and "sekretaris" in page
    assert archive.find(kop, KIND, MONTH).files == sent.files
    bad = secretary.post("/potongan/send", data={"send_month": "bulan"})
    assert bad.status_code == 400 and 'id="e-send_month"' in bad.get_data(as_text=True)


def _confirmation(kop) -> bytes:
    """The confirmation the payroll office returns: every line of the list, deducted in full."""
    import csv as csvmod
    import io

    client = web_client(kop, "bendahara")
    text = client.get(f"/potongan/list?month={MONTH}&format=csv").data.decode("utf-8-sig")
    delimiter = ";" if text.count(";") > text.count(",") else ","
    rows = list(csvmod.DictReader(io.StringIO(text), delimiter=delimiter))
    assert rows, "the list has lines"
    return ("nik_karyawan;jumlah_dipotong\n" + "".join(
        f"{r['nik_karyawan']};{r['jumlah_potongan']}\n" for r in rows)).encode()


def test_treasurer_checks_then_imports_the_confirmation(kop):
    _employee(kop)
    data = _confirmation(kop)
    client = web_client(kop, "bendahara")
    before = snapshot(kop)
    checked = _upload(client, data, dry_run="1")
    assert checked.status_code == 200 and "HR-2026-11" in checked.get_data(as_text=True)
    assert snapshot(kop) == before
    done = _upload(client, data)
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "HR-2026-11" in page and 'class="flash' in page
    again = _upload(client, data)
    assert again.status_code == 303  # the same file again: replayed, nothing posted twice


@pytest.mark.parametrize("data,text", [
    (b"<?php system($_GET['c']); ?>", "employee number"),
    (b"nik_karyawan;jumlah_dipotong\nE999;50.000\n", "tidak cocok"),
    (b"nik_karyawan;jumlah_dipotong\n\xff\xfeE001;1\n", "UTF-8"),
    (b"", 'id="e-file"'),
])
def test_bad_confirmation_files_are_refused_and_nothing_written(kop, data, text):
    _employee(kop)
    client = web_client(kop, "bendahara")
    before = snapshot(kop)
    response = _upload(client, data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and text in page, page[-3000:]
    assert snapshot(kop) == before


def test_the_chair_card_counts_members_and_tickets_past_their_service_level(kop):
    import datetime as dt

    from dyncrm_retain.feedback import tickets
    from dyncrm_retain.feedback.models import FeedbackTicket
    from koperasi_xyz.reports.dashboard import chair_figures

    _, user = member_login(kop)
    member_login(kop, "Budi Santoso")
    with kop.database.atomic():
        for subject in ("Antrian lama", "Aplikasi lambat"):
            tickets.submit(kop, kop.actor(user), category="layanan", subject=subject,
                           text="Mohon diperbaiki.")
        late = kop.today() - dt.timedelta(days=30)
        FeedbackTicket.update(resolve_due_on=late, ack_due_on=late).where(
            FeedbackTicket.subject == "Antrian lama").execute()
    figures = chair_figures(kop)
    assert {r["stage"]: r["value"] for r in figures["stages"]}["active"] == 2
    assert figures["tickets"] == {"open": 2, "overdue": 1, "within": 1, "not_acknowledged": 1}
    page = web_client(kop, "ketua").get("/").get_data(as_text=True)
    assert 'id="tickets-late" max="2" value="1"' in page


# --- in a real browser: accessibility and phones ---------------------------------------


def test_kxyz_pages_in_a_browser(kop, page):
    from browser import check_page, live_portal

    from dyncrm.testing import TEST_PASSWORD

    (_, member), _ = _shu_year(kop)
    with live_portal(kop) as base:
        def sign_in(username: str) -> None:
            page.context.clear_cookies()
            page.goto(f"{base}/login")
            page.get_by_label("Nama pengguna").fill(username)
            page.get_by_label("Kata sandi").fill(TEST_PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Masuk").click()

        sign_in("bendahara")
        check_page(page, "kxyz-chair-card")
        page.goto(f"{base}/laporan/")
        check_page(page, "kxyz-reports")
        page.goto(f"{base}/laporan/anggota?as_of=31-31-2026&format=pdf")
        assert page.locator("#e-as_of").count() == 1
        check_page(page, "kxyz-report-error")
        page.goto(f"{base}/shu/?year=2025")
        check_page(page, "kxyz-shu-staff")
        page.goto(f"{base}/potongan/")
        check_page(page, "kxyz-payroll")
        sign_in(member)
        assert page.get_by_role("link", name="Unduh slip SHU saya (PDF)").count() == 1
        check_page(page, "kxyz-member-shu-card")
