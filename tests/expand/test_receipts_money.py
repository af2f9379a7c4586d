"""Every money movement of savings, loans and leaving gets its receipt (dyncrm.receipts)."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from test_loan_helpers import Clock, add_member, fund, idr, open_loans
from test_loan_helpers import Staff as LoanStaff
from test_savings_helpers import PNG, Staff, member_actor, open_expand
from test_savings_helpers import add_member as add_saver

from dyncrm.app import open_crm
from dyncrm.db.receipts import Receipt
from dyncrm.money import Money
from dyncrm.testing import run_cli, today_of
from dyncrm_expand import deactivation, loans, savings


def rp(value) -> Money:
    return Money.of(value, "IDR")


def pdf_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def receipt_of(crm, entry_id):
    found = crm.receipts.for_entry(entry_id)
    assert found is not None, f"entry {entry_id} has no receipt"
    return found


def test_savings_deposits_withdrawals_and_verified_transfers(make_crm) -> None:
    crm = open_expand(make_crm)
    people = Staff(crm)
    m = add_saver(crm)
    cash = savings.deposit(crm, people.cashier, m, "sukarela", "500.000", method="cash",
                           reference="KW-1")
    first = receipt_of(crm, cash.entry_id)
    assert (first.kind, first.amount, first.member_id, first.direction) == (
        "savings.deposit", rp(500000), m, "in")
    assert first.number == "R-2025-000001"
    again = savings.deposit(crm, people.cashier, m, "sukarela", "500.000", method="cash",
                            reference="KW-1")
    assert again.replayed and receipt_of(crm, again.entry_id).number == first.number

    transfer = savings.deposit(crm, member_actor(crm, m), m, "sukarela", "250000",
                               method="transfer", reference="TRF-1", proof=PNG)
    assert transfer.entry_id is None and Receipt.select().count() == 1  # pending: none yet
    verified = savings.verify_deposit(crm, people.cashier, transfer.id)
    assert receipt_of(crm, verified.entry_id).amount == rp(250000)

    out = savings.withdraw(crm, people.cashier, m, "100000", reference="TT-1")
    paid = receipt_of(crm, out.entry_id)
    assert (paid.kind, paid.amount, paid.direction, paid.number) == (
        "savings.withdrawal", rp(100000), "out", "R-2025-000003")


def test_a_refused_movement_uses_no_number(make_crm) -> None:
    crm = open_expand(make_crm)
    people = Staff(crm)
    m = add_saver(crm)
    savings.deposit(crm, people.cashier, m, "sukarela", "50000", method="cash", reference="A")
    with pytest.raises(Exception, match="withdrawn"):
        savings.withdraw(crm, people.cashier, m, "900000", reference="TOO-MUCH")
    nxt = savings.deposit(crm, people.cashier, m, "sukarela", "10000", method="cash",
                          reference="B")
    assert receipt_of(crm, nxt.entry_id).number == "R-2025-000002"


def test_loan_disbursement_proof_and_repayment_receipts(make_crm) -> None:
    clock = Clock(dt.date(2025, 1, 10))
    crm = open_loans(make_crm, clock=clock)
    people = LoanStaff(crm)
    member_id, member = add_member(crm, "Ani", number="A001", login="ani")
    fund(crm, member_id, "5000000")
    loan, _ = loans.apply(crm, member, member_id, "konsumtif", idr(12_000_000), term=12)
    loans.approve(crm, people.committee, loan.id, override="test")
    paid_out = loans.disburse(crm, people.treasurer, loan.id, method="transfer",
                              reference="TRF-9")
    entry = crm.ledger.entry_by_key(f"loans.disbursement:{loan.id}")
    proof = receipt_of(crm, entry.id)
    assert proof.kind == "loans.disbursement" and proof.direction == "out"
    assert proof.amount == loans.get(crm, loan.id).principal
    assert proof.template == "loans/disbursement_proof.html"
    text = pdf_text(crm.receipts.pdf(proof, copy=False))
    assert proof.number in text and "Ani" in text and "TRF-9" in text
    assert crm.format_money(paid_out.paid_out) in text

    clock.day = dt.date(2025, 2, 25)
    result = loans.repay(crm, people.cashier, loan.id, idr(1_120_000), method="cash",
                         reference="ANG-1")
    repaid = receipt_of(crm, crm.ledger.entry_by_key("loans.repayment:ANG-1").id)
    assert (repaid.kind, repaid.amount, repaid.reference) == ("loans.repayment",
                                                            result.payment.amount, "ANG-1")
    loans.repay(crm, people.cashier, loan.id, idr(1_120_000), method="cash",
                reference="ANG-1")
    assert Receipt.select().where(Receipt.kind == "loans.repayment").count() == 1


def test_leave_settlement_and_refund_receipts(make_crm) -> None:
    crm = open_expand(make_crm)
    people = Staff(crm)
    m = add_saver(crm)
    on = dt.date(2025, 1, 7)
    for product, amount in (("pokok", "100000"), ("wajib", "150000"), ("sukarela", "200000")):
        savings.deposit(crm, people.cashier, m, product, amount, method="cash",
                        reference=f"{product}-1", on=on)
    request = deactivation.request_leave(crm, member_actor(crm, m), m, "moving")
    approved = deactivation.approve_leave(crm, people.treasurer, request.id)
    settled = receipt_of(crm, approved.settlement_entry_id)
    assert settled.kind == "deactivation.settlement" and settled.member_id == m
    paid = deactivation.pay_refund(crm, people.cashier, request.id, method="cash",
                                   reference="KK-1")
    refund = receipt_of(crm, paid.payout_entry_id)
    assert approved.settlement_total == rp(300000)
    assert (refund.kind, refund.amount, refund.direction) == (
        "deactivation.refund", approved.settlement_total, "out")


# -- the command line --------------------------------------------------------------

TOML = """
[organisation]
name = "Koperasi Uji"
currency = "IDR"
currency_exponent = 0
locale = "en_GB"
timezone = "Asia/Jakarta"

[database]
url = "sqlite:///crm.db"

[receipts]
prefix = "KW"

[plugins]
enabled = ["expand.savings", "expand.deactivation"]

[notify]
default_channel = "file"
file_directory = "outbox"
"""


@pytest.fixture
def deployment(tmp_path: Path) -> Path:
    config = tmp_path / "dyncrm.toml"
    config.write_text(TOML, encoding="utf-8")
    code, _, err = run_cli(["-c", str(config), "db", "upgrade"])
    assert code == 0, err
    with open_crm(config) as crm:
        Staff(crm)
        add_saver(crm, "Đặng Thị Ngọc", number="XYZ-0001",
                  joined=dt.date.today() - dt.timedelta(days=40))
    return config


def cli(config: Path, *args: str, user: str = "kasir"):
    return run_cli(["-c", str(config), "--as", user, *args])


def without_copy_mark(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "COPY" not in line)


def test_receipt_option_reprint_and_list(deployment, tmp_path, monkeypatch) -> None:
    target = tmp_path / "kw.pdf"
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "sukarela", "75000",
                         "--method", "cash", "--ref", "KW-77", "--receipt", str(target))
    assert code == 0, err
    year = today_of(deployment).year  # the deployment's year (Jakarta), not the machine's
    number = f"KW-{year}-000001"
    assert f"receipt {number} written to {target}" in err
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    original = pdf_text(target.read_bytes())
    assert number in original and "Đặng Thị Ngọc" in original and "COPY" not in original

    # the same command again changes nothing and prints the same receipt, as a copy
    again = tmp_path / "again.pdf"
    code, out, err = cli(deployment, "savings", "deposit", "XYZ-0001", "sukarela", "75000",
                         "--method", "cash", "--ref", "KW-77", "--receipt", str(again))
    assert code == 0 and "already recorded" in out
    assert f"copy of receipt {number}" in err
    assert number in pdf_text(again.read_bytes()) and "COPY" in pdf_text(again.read_bytes())

    copy = tmp_path / "copy.pdf"
    code, out, err = cli(deployment, "receipt", "reprint", number, "--out", str(copy))
    assert code == 0, err
    reprinted = pdf_text(copy.read_bytes())
    assert "COPY" in reprinted
    assert without_copy_mark(reprinted) == without_copy_mark(original)

    # without a path: NUMBER.pdf in the current folder
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(deployment, "savings", "withdraw", "XYZ-0001", "5000", "--ref",
                         "TT-1", "--receipt")
    assert code == 0, err
    assert (tmp_path / f"KW-{year}-000002.pdf").is_file()

    code, out, err = cli(deployment, "receipt", "list", "--member", "XYZ-0001", "--json")
    assert code == 0, err
    assert f"KW-{year}-000002" in out and f"KW-{year}-000001" in out
    code, out, err = cli(deployment, "receipt", "list", "--kind", "nonsense")
    assert code == 1 and "receipt kind 'nonsense' not found" in err
    code, out, err = cli(deployment, "receipt", "reprint", "KW-1999-000001")
    assert code == 1 and "not found" in err
