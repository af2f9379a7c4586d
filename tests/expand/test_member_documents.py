"""The passbook (buku simpanan) and the loan agreement (perjanjian pinjaman)."""

from __future__ import annotations

import datetime as dt
import os
import stat

import pypdfium2 as pdfium
import pytest
from test_loan_helpers import Clock, add_member, fund, idr, open_loans
from test_loan_helpers import Staff as LoanStaff
from test_savings_helpers import Staff, member_actor, open_expand
from test_savings_helpers import add_member as add_saver

from dyncrm.errors import PermissionDenied, ValidationError
from dyncrm.money import Money
from dyncrm_expand import loans, savings
from dyncrm_expand.loans.agreement import agreement, agreement_pdf, write_agreement
from dyncrm_expand.savings.passbook import passbook, passbook_pdf, write_passbook


def rp(value) -> Money:
    return Money.of(value, "IDR")


def pages(data: bytes) -> list[str]:
    doc = pdfium.PdfDocument(data)
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


@pytest.fixture
def saver(make_crm):
    crm = open_expand(make_crm)
    people = Staff(crm)
    m = add_saver(crm, "Đặng Thị Ngọc", number="XYZ-0001")
    for i, (day, amount) in enumerate([(dt.date(2025, 1, 10), "100000"),
                                       (dt.date(2025, 2, 10), "250000"),
                                       (dt.date(2025, 3, 10), "50000")]):
        savings.deposit(crm, people.cashier, m, "sukarela", amount, method="cash",
                        reference=f"S{i}", on=day)
    savings.withdraw(crm, people.cashier, m, "30000", reference="T1", on=dt.date(2025, 3, 20))
    savings.deposit(crm, people.cashier, m, "wajib", "50000", method="payroll",
                    reference="W1", on=dt.date(2025, 2, 25))
    return crm, people, m


def test_passbook_has_running_balances_and_receipt_numbers(saver) -> None:
    crm, people, m = saver
    book = passbook(crm, member_actor(crm, m), m)
    sections = {s.product: s for s in book.sections}
    assert list(sections) == ["pokok", "wajib", "sukarela"]
    sukarela = sections["sukarela"]
    assert [ln.balance for ln in sukarela.lines] == [rp(100000), rp(350000), rp(400000),
                                                    rp(370000)]
    assert sukarela.lines[-1].withdrawal == rp(30000) and sukarela.lines[-1].deposit is None
    assert sukarela.closing == rp(370000) and sukarela.opening == rp(0)
    assert all(ln.receipt and ln.receipt.startswith("R-2025-") for ln in sukarela.lines)
    assert sections["wajib"].closing == rp(50000) and sections["pokok"].lines == ()

    part = passbook(crm, people.cashier, m, products=["sukarela"],
                    since=dt.date(2025, 2, 1), until=dt.date(2025, 3, 15))
    (only,) = part.sections
    assert only.opening == rp(100000) and only.closing == rp(400000)
    assert [ln.date for ln in only.lines] == [dt.date(2025, 2, 10), dt.date(2025, 3, 10)]

    text = "\n".join(pages(passbook_pdf(crm, book)))
    assert "Đặng Thị Ngọc" in text and "XYZ-0001" in text
    assert crm.format_money(rp(370000)) in text and sukarela.lines[0].receipt in text


def test_passbook_is_the_members_own(saver) -> None:
    crm, people, m = saver
    other = add_saver(crm, "Budi")
    with pytest.raises(PermissionDenied):
        passbook(crm, member_actor(crm, other), m)
    with pytest.raises(ValidationError, match="after it ends"):
        passbook(crm, people.cashier, m, since=dt.date(2025, 3, 1), until=dt.date(2025, 1, 1))
    with pytest.raises(ValidationError, match="unknown savings product"):
        passbook(crm, people.cashier, m, products=["deposito"])


def test_a_long_passbook_repeats_its_header_on_every_page(make_crm, tmp_path) -> None:
    crm = open_expand(make_crm)
    people = Staff(crm)
    m = add_saver(crm)
    for i in range(120):
        savings.deposit(crm, people.cashier, m, "sukarela", str(1000 + i), method="cash",
                        reference=f"D{i}", on=dt.date(2025, 1, 1) + dt.timedelta(days=i))
    book = passbook(crm, people.cashier, m, products=["sukarela"])
    path = write_passbook(crm, book, tmp_path / "buku.pdf")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    texts = pages(path.read_bytes())
    assert len(texts) >= 3
    assert all("Balance" in t and "Receipt" in t for t in texts)  # the header row, each page
    joined = "\n".join(texts)
    assert all(ln.receipt in joined for ln in book.sections[0].lines)
    assert crm.format_money(book.sections[0].closing) in texts[-1]


@pytest.fixture
def lent(make_crm):
    clock = Clock(dt.date(2025, 1, 10))
    crm = open_loans(make_crm, clock=clock)
    people = LoanStaff(crm)
    member_id, member = add_member(crm, "Ani Đặng", number="A001", login="ani")
    fund(crm, member_id, "5000000")
    loan, _ = loans.apply(crm, member, member_id, "konsumtif", idr(12_000_000), term=12)
    return crm, people, member_id, member, loan


def test_agreement_of_an_approved_then_disbursed_loan(lent, tmp_path) -> None:
    crm, people, _, member, loan = lent
    with pytest.raises(ValidationError, match="submitted"):
        agreement(crm, people.committee, loan.id)
    loans.approve(crm, people.committee, loan.id, override="test")
    draft = agreement(crm, member, loan.id)
    assert draft.preview and len(draft.rows) == 12
    assert sum((r.principal for r in draft.rows), idr(0)) == draft.principal
    assert draft.rows[-1].remaining == idr(0)
    assert draft.total_paid == draft.principal + draft.total_interest

    loans.disburse(crm, people.treasurer, loan.id, method="transfer", reference="TRF")
    signed = agreement(crm, people.treasurer, loan.id)
    stored = loans.installments(crm, loan.id)
    assert not signed.preview
    assert [(r.number, r.due_on, r.installment) for r in signed.rows] == [
        (i.number, i.due_on, i.total) for i in stored]
    path = write_agreement(crm, signed, tmp_path / "perjanjian.pdf")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = "\n".join(pages(path.read_bytes()))
    assert "Ani Đặng" in text and "A001" in text and "Borrower" in text
    assert stored[-1].due_on.isoformat() in text
    assert crm.format_money(signed.total_paid) in text


def test_agreement_is_for_the_borrower_and_staff_only(lent) -> None:
    crm, people, _, member, loan = lent
    loans.approve(crm, people.committee, loan.id, override="test")
    _, stranger = add_member(crm, "Budi", number="B001", login="budi")
    with pytest.raises(PermissionDenied):
        agreement(crm, stranger, loan.id)
    assert agreement_pdf(crm, agreement(crm, member, loan.id)).startswith(b"%PDF")


# -- the command line --------------------------------------------------------------


@pytest.fixture
def deployment(tmp_path):
    """test_loan_cli's deployment: savings and loans, staff, member XYZ-0001 (login siti)."""
    from test_loan_cli import START, TOML

    from dyncrm.app import open_crm
    from dyncrm.testing import run_cli

    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML, encoding="utf-8")
    code, _, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0, err
    with open_crm(config) as crm:
        LoanStaff(crm)
        add_member(crm, "Siti Aminah", number="XYZ-0001", login="siti",
                   joined=START - dt.timedelta(days=400))
    return config


def test_passbook_and_agreement_commands(deployment, tmp_path) -> None:
    """`dyncrm savings passbook` and `dyncrm loan agreement` on a real deployment."""
    from test_loan_cli import cli

    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "sukarela",
                         "5.000.000", "--method", "cash", "--ref", "KW-1")
    assert code == 0, err
    book = tmp_path / "buku.pdf"
    code, out, err = cli(deployment, "savings", "passbook", "XYZ-0001", "--type", "sukarela",
                         "--out", str(book), user="siti")
    assert code == 0, err
    assert f"(1 movements) written to {book}" in out
    assert stat.S_IMODE(os.stat(book).st_mode) == 0o600
    assert "Rp 5.000.000" in "\n".join(pages(book.read_bytes()))

    code, out, err = cli(deployment, "loan", "apply", "XYZ-0001", "konsumtif", "3.000.000",
                         "--term", "3", user="siti")
    assert code == 0, err
    paper = tmp_path / "perjanjian.pdf"
    code, out, err = cli(deployment, "loan", "agreement", "1", "--out", str(paper),
                         user="siti")
    assert code == 1 and "an agreement is printed for an approved" in err
    assert not paper.exists()
    code, out, err = cli(deployment, "loan", "approve", "1", "--override", "test",
                         user="komite1")
    assert code == 0, err
    code, out, err = cli(deployment, "loan", "agreement", "1", "--out", str(paper),
                         user="siti")
    assert code == 0, err
    assert "3 installments (schedule as if paid out today)" in out
    assert "Siti Aminah" in "\n".join(pages(paper.read_bytes()))
