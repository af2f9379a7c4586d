"""Koperasi XYZ's receipts: Indonesian templates, KW numbers, SALINAN on copies, SHU shares."""

from __future__ import annotations

import os
import stat

import pypdfium2 as pdfium
import pytest
from kxyz_helpers import AFTER_RAT, add_member, idr, shu_settings
from kxyz_helpers import quick_staff as staff

from dyncrm.db.receipts import Receipt
from koperasi_xyz import templates_dir
from koperasi_xyz.shu import service as svc
from koperasi_xyz.shu import write_share_receipts


def pdf_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


@pytest.fixture
def posted(make_crm):
    """SHU 2025 of three members posted, on a CRM numbering receipts KW-."""
    crm = make_crm(enabled=["koperasi_xyz.shu", "expand.savings", "expand.loans"],
                   plugins={"koperasi_xyz.shu": shu_settings()}, receipts={"prefix": "KW"},
                   clock=lambda: AFTER_RAT)
    members = [add_member(crm, "XYZ-2024-00001", "Đặng Thị Ngọc", pokok=100_000,
                          wajib=900_000, interest=300_000),
               add_member(crm, "XYZ-2024-00002", "Budi", pokok=100_000, wajib=900_000)]
    treasurer, chair = staff(crm, "bendahara", "treasurer"), staff(crm, "ketua", "member")
    svc.enter_surplus(crm, 2025, idr(10_000_000), treasurer)
    svc.approve(crm, 2025, treasurer)
    svc.approve(crm, 2025, chair)
    svc.post(crm, 2025, treasurer)
    return crm, members


def test_each_shu_share_gets_a_receipt_in_indonesian(posted, tmp_path) -> None:
    crm, (andi, budi) = posted
    shares = crm.receipts.list(kind="shu.distribution")
    assert sorted(r.member_id for r in shares) == [andi.id, budi.id]
    assert all(r.number.startswith("KW-2026-") for r in shares)  # booked in 2026
    by_member = {r.member_id: r.amount for r in shares}
    bal = crm.ledger.balances_by_member(["savings.sukarela"])
    assert {m: idr(v["savings.sukarela"]) for m, v in bal.items()} == by_member
    written = write_share_receipts(crm, 2025, tmp_path / "shu", copy=False)
    assert len(written) == 2
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in written)
    text = " ".join(pdf_text(p.read_bytes()) for p in written)
    assert "Bukti pembagian SHU" in text and "Đặng Thị Ngọc" in text
    assert "SALINAN" not in text
    svc.post(crm, 2025, staff(crm, "bendahara2", "treasurer"))  # replayed: no new receipts
    assert Receipt.select().where(Receipt.kind == "shu.distribution").count() == 2


def test_a_copy_says_salinan_and_is_otherwise_identical(posted) -> None:
    crm, (andi, _) = posted
    receipt = crm.receipts.list(member_id=andi.id, kind="shu.distribution")[0]
    assert crm.templates.get_template(receipt.template).filename.startswith(
        str(templates_dir()))
    original = pdf_text(crm.receipts.pdf(receipt, copy=False))
    copy = pdf_text(crm.receipts.pdf(receipt, copy=True))
    assert "SALINAN" in copy and "SALINAN" not in original
    assert "Dibayarkan kepada" in original and receipt.number in original
    assert [ln for ln in copy.splitlines() if "SALINAN" not in ln] == original.splitlines()
