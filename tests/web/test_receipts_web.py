"""Receipts, the passbook and the loan agreement in the portal (Koperasi XYZ, Indonesian)."""

from __future__ import annotations

import io
import re

import pypdfium2 as pdfium
import pytest
from portal import USER_OF, member_login

from dyncrm.money import Money
from dyncrm.testing import web_client
from dyncrm.values import Actor
from dyncrm_expand import loans, savings
from dyncrm_expand.loans.queries import settings


def pdf_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(io.BytesIO(data))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def deposit(kop, member_id, amount="250000", ref="kas-1"):
    result = savings.deposit(kop, Actor.operator(), member_id, "sukarela", amount,
                             method="cash", reference=ref)
    return kop.receipts.for_entry(result.entry_id)


def test_member_sees_own_receipts_linked_from_the_statement(kop):
    member_id, user = member_login(kop)
    receipt = deposit(kop, member_id)
    assert receipt.number.startswith("KW-")
    client = web_client(kop, user)
    savings_page = client.get("/savings/").get_data(as_text=True)
    assert f'href="/receipts/{receipt.number}"' in savings_page
    listing = client.get("/receipts/").get_data(as_text=True)
    assert receipt.number in listing and "Kwitansi saya" in listing
    shown = client.get(f"/receipts/{receipt.number}")
    assert shown.status_code == 200
    text = shown.get_data(as_text=True)
    assert "Kwitansi setoran simpanan" in text and "SALINAN" in text and "Rp 250.000" in text
    download = client.get(f"/receipts/{receipt.number}.pdf")
    assert download.status_code == 200 and "attachment" in download.headers[
        "Content-Disposition"]
    body = pdf_text(download.get_data())
    assert receipt.number in body and "SALINAN" in body


def test_another_members_receipt_does_not_exist_for_them(kop):
    siti_id, _ = member_login(kop)
    _, budi = member_login(kop, "Budi Santoso")
    receipt = deposit(kop, siti_id)
    client = web_client(kop, budi)
    assert client.get(f"/receipts/{receipt.number}").status_code == 404
    assert client.get(f"/receipts/{receipt.number}.pdf").status_code == 404
    assert client.get("/receipts/KW-2099-000001").status_code == 404
    assert receipt.number not in client.get("/receipts/").get_data(as_text=True)
    # ?member= is for staff only: a member always sees their own list
    assert receipt.number not in client.get(
        f"/receipts/?member={kop.member(siti_id).number}").get_data(as_text=True)


@pytest.mark.parametrize("role,allowed", [("cashier", True), ("treasurer", True),
                                          ("credit_committee", False)])
def test_staff_find_receipts_by_member(kop, role, allowed):
    siti_id, _ = member_login(kop, number="XYZ-0001")
    receipt = deposit(kop, siti_id)
    client = web_client(kop, USER_OF[role])
    listing = client.get("/receipts/?member=XYZ-0001")
    if allowed:
        assert listing.status_code == 200 and receipt.number in listing.get_data(as_text=True)
        assert client.get(f"/receipts/{receipt.number}").status_code == 200
    else:
        assert listing.status_code == 403
        assert client.get(f"/receipts/{receipt.number}").status_code == 404


def test_member_downloads_the_passbook(kop):
    member_id, user = member_login(kop)
    receipt = deposit(kop, member_id)
    client = web_client(kop, user)
    got = client.get("/savings/passbook.pdf")
    assert got.status_code == 200 and got.mimetype == "application/pdf"
    text = pdf_text(got.get_data())
    assert "Buku Simpanan" in text and "Siti Aminah" in text and receipt.number in text
    assert web_client(kop, USER_OF["cashier"]).get("/savings/passbook.pdf").status_code == 403


def test_loan_page_links_the_disbursement_proof_payments_and_agreement(kop):
    member_id, user = member_login(kop)
    savings.deposit(kop, Actor.operator(), member_id, "sukarela", "5000000", method="cash",
                    reference="kas-1")
    member = kop.actor(user)
    code = sorted(settings(kop).products)[0]
    loan, _ = loans.apply(kop, member, member_id, code, Money.of(1_000_000, "IDR"), term=3)
    for who in ("panitia1", "panitia2"):  # an override needs two of the committee
        loans.approve(kop, kop.actor(who), loan.id, override="test")
    loans.disburse(kop, kop.actor(USER_OF["treasurer"]), loan.id, method="cash",
                   reference="KAS-9")
    loans.repay(kop, kop.actor(USER_OF["cashier"]), loan.id, Money.of(100_000, "IDR"),
                method="cash", reference="ANG-1")
    client = web_client(kop, user)
    page = client.get(f"/loans/{loan.id}").get_data(as_text=True)
    numbers = re.findall(r'href="/receipts/(KW-\d{4}-\d{6})"', page)
    assert len(numbers) == 2  # the disbursement proof and the repayment
    proof = client.get(f"/receipts/{numbers[0]}").get_data(as_text=True)
    assert "Bukti pembayaran pinjaman" in proof
    agreement = client.get(f"/loans/{loan.id}/agreement.pdf")
    assert agreement.status_code == 200
    assert "Perjanjian Pinjaman" in pdf_text(agreement.get_data())
    _, budi = member_login(kop, "Budi Santoso")
    assert web_client(kop, budi).get(f"/loans/{loan.id}/agreement.pdf").status_code == 404
    staff = web_client(kop, USER_OF["cashier"])
    repay_page = staff.get(f"/loans/repay/{loan.id}").get_data(as_text=True)
    assert f'href="/receipts/{numbers[1]}"' in repay_page
