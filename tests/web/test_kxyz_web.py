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
