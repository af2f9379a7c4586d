"""The savings statement PDF: names outside Latin-1 print as written (issue 14)."""

from __future__ import annotations

import pytest
from pdfs import page_lines, pdf_text
from test_savings_helpers import Staff, add_member, open_expand

from dyncrm_expand import savings
from dyncrm_expand.savings.statement_export import statement_pdf


@pytest.fixture
def crm(make_crm):
    return open_expand(make_crm)


@pytest.mark.parametrize("name", ["Đặng Thị Ngọc", "Zoë Łukasz"])
def test_statement_pdf_prints_the_name_as_written(crm, tmp_path, name):
    people = Staff(crm)
    member_id = add_member(crm, name)
    savings.deposit(crm, people.cashier, member_id, "sukarela", "250.000", method="cash",
                    reference="KW-1")
    year = crm.today().year
    statements = [savings.statement(crm, member_id, "sukarela", year)]
    data = statement_pdf(crm, crm.member_row(member_id), statements, year)
    assert data.startswith(b"%PDF") and b"DejaVu" in data
    path = tmp_path / "statement.pdf"
    path.write_bytes(data)
    text = pdf_text(path)
    assert name in text
    assert "?" not in text.replace("\r", "")  # nothing replaced by Latin-1 fallback
    assert crm.config.organisation.name in text
    assert "Rp 250.000" in text


def test_a_long_statement_repeats_its_header_row_on_every_page(crm, tmp_path):
    people = Staff(crm)
    member_id = add_member(crm, "Đặng Thị Ngọc")
    for i in range(90):
        savings.deposit(crm, people.cashier, member_id, "sukarela", "1.000", method="cash",
                        reference=f"KW-{i}")
    year = crm.today().year
    data = statement_pdf(crm, crm.member_row(member_id),
                         [savings.statement(crm, member_id, "sukarela", year)], year)
    pages = page_lines(data)
    assert len(pages) >= 2
    header = next(line for line in pages[0] if "Date" in line or "Tanggal" in line)
    for page in pages:
        assert header in page
    assert any("Rp 90.000" in line for line in pages[-1])
