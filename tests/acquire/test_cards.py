"""acquire.member_card: ID-1 PDFs, A4 sheets, signed QR payloads, reissue and verify."""
# ruff: noqa: F811  (pytest fixtures imported from acquire_support)

from __future__ import annotations

import pytest
from acquire_support import (  # noqa: F401
    ACQUIRE,
    NOW,
    SETTINGS,
    acq,
    applicant,
    dump,
    join,
    people,
    staff,
)

from dyncrm.db.models import Touchpoint
from dyncrm.errors import ConfigError, PermissionDenied, ValidationError
from dyncrm_acquire import member_card
from dyncrm_acquire import registration as reg
from dyncrm_acquire.member_card.pdf import CARD_H, CARD_W

MM = 72 / 25.4


def media_boxes(pdf: bytes) -> list[tuple[float, float]]:
    pdfium = pytest.importorskip("pypdfium2")
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page.get_size() for page in doc]
    finally:
        doc.close()


def page_text(pdf: bytes) -> list[str]:
    pdfium = pytest.importorskip("pypdfium2")
    doc = pdfium.PdfDocument(pdf)
    try:
        return [page.get_textpage().get_text_range() for page in doc]
    finally:
        doc.close()


def test_a_card_is_an_id1_page_with_the_member_details(acq, people):
    member = join(acq, people, take_home_pay="5.000.000").member
    card, pdf = member_card.card_files(acq, member.number, people.sec)
    assert pdf.startswith(b"%PDF")
    [(w, h)] = media_boxes(pdf)
    assert abs(w - CARD_W * MM) < 0.05 and abs(h - CARD_H * MM) < 0.05
    [text] = page_text(pdf)
    for expected in ("Koperasi Uji", "KARTU ANGGOTA", "NOMOR ANGGOTA", member.number,
                     member.name, "NIK Karyawan", "E-", "Departemen", "Produksi",
                     "Bergabung", "2 Maret 2026", "Status", "Aktif", "Pindai untuk verifikasi"):
        assert expected in text
    assert card.serial == 1 and card.payload.startswith(f"MC1:{member.number}:1:")
    assert [t.kind for t in Touchpoint.select().where(Touchpoint.member == member.id)
            ][-1] == "card.issued"


def test_english_labels_and_configured_overrides(make_crm):
    crm = make_crm(enabled=ACQUIRE, plugins={**SETTINGS, "acquire.member_card": {
        "secret": "x" * 20, "labels": {"title": "KARTU ANGGOTA KOPKAR",
                                       "department": "Unit Kerja"}}},
        organisation={"name": "Credit Union", "locale": "en_US", "currency": "USD"},
        clock=lambda: NOW)

    class P:
        sec = staff(crm, "sec", "secretary")
        adm = staff(crm, "adm", "admin")

    member = join(crm, P).member
    [text] = page_text(member_card.card_files(crm, member.id, P.sec)[1])
    for expected in ("KARTU ANGGOTA KOPKAR", "Unit Kerja", "MEMBER NO.", "Member since",
                     "2 March 2026", "Active", "Scan to verify"):
        assert expected in text


def test_verify_valid_superseded_and_invalid(acq, people):
    member = join(acq, people).member
    first, _ = member_card.card_files(acq, member.id, people.sec)
    assert member_card.verify(acq, first.payload).status == "valid"
    assert member_card.issue(acq, member.id, people.sec, reason="lost") == 2
    old = member_card.verify(acq, first.payload)
    assert old.status == "superseded" and old.current_serial == 2 and old.name == member.name
    second, _ = member_card.card_files(acq, member.id, people.sec)
    assert second.serial == 2 and member_card.verify(acq, second.payload).status == "valid"
    forged = second.payload[:-1] + ("A" if second.payload[-1] != "A" else "B")
    assert member_card.verify(acq, forged).status == "invalid"
    assert member_card.verify(acq, second.payload.replace(":2:", ":3:")).status == "invalid"
    never = member_card.sign(acq, member.number, 3)
    assert member_card.verify(acq, never).reason == "this card was never issued"
    for junk in ("", "hello", "MC1:", "MC1:X:Y:Z", "MC1::99999999999999:AA"):
        assert member_card.verify(acq, junk).status == "invalid"


def test_a_card_stops_verifying_when_membership_ends(acq, people):
    member = join(acq, people).member
    card, _ = member_card.card_files(acq, member.id, people.sec)
    with acq.action("leave", people.adm):
        acq.lifecycle.transition(member.id, "request_leave", people.adm)
    assert member_card.verify(acq, card.payload).status == "valid"
    with acq.action("leave", people.adm):
        acq.lifecycle.transition(member.id, "complete_leave", people.adm)
    check = member_card.verify(acq, card.payload)
    assert check.status == "invalid" and "inactive" in check.reason


def test_another_deployments_secret_does_not_verify(make_crm, acq, people):
    member = join(acq, people).member
    card, _ = member_card.card_files(acq, member.id, people.sec)
    other = make_crm(enabled=ACQUIRE, plugins={**SETTINGS, "acquire.member_card": {
        "secret": "another-secret-9876543210"}}, clock=lambda: NOW)  # same database file
    check = member_card.verify(other, card.payload)
    assert check.status == "invalid" and "signature" in check.reason


def test_cards_are_only_for_members(acq, people):
    app = reg.submit(acq, applicant(), people.sec).application
    before = dump(acq)
    with pytest.raises(ValidationError, match="cards are for members"):
        member_card.card_files(acq, app.id, people.sec)
    with pytest.raises(ValidationError, match="cards are for members"):
        member_card.issue(acq, app.id, people.sec)
    with pytest.raises(PermissionDenied):
        member_card.card_files(acq, app.id, people.cashier)
    assert dump(acq) == before


def test_a_missing_secret_is_a_config_error(make_crm):
    crm = make_crm(enabled=ACQUIRE, plugins={"acquire.registration": {}}, clock=lambda: NOW)

    class P:
        sec = staff(crm, "sec", "secretary")
        adm = staff(crm, "adm", "admin")

    member = join(crm, P).member
    before = dump(crm)
    with pytest.raises(ConfigError, match="secret"):
        member_card.card_files(crm, member.id, P.sec)
    assert dump(crm) == before


def test_short_secrets_and_bad_colours_are_refused(make_crm):
    for section in ({"secret": "short"}, {"secret": "x" * 20, "color": "blue"}):
        with pytest.raises(ConfigError):
            make_crm(enabled=ACQUIRE, plugins={"acquire.member_card": section})


def test_a_sheet_has_ten_cards_per_a4_page(acq, people):
    members = [join(acq, people).member for _ in range(12)]
    count, pdf = member_card.sheet_file(acq, people.sec)
    assert count == 12
    boxes = media_boxes(pdf)
    assert len(boxes) == 2
    assert all(abs(w - 210 * MM) < 0.1 and abs(h - 297 * MM) < 0.1 for w, h in boxes)
    first, second = page_text(pdf)
    assert first.count("NOMOR ANGGOTA") == 10 and second.count("NOMOR ANGGOTA") == 2
    assert members[0].number in first and members[11].number in second
    # every member now has a first card, issued in one batch
    assert all(member_card.verify(acq, member_card.sign(acq, m.number, 1)).status == "valid"
               for m in members)


def test_png_output(acq, people):
    pytest.importorskip("pypdfium2")
    member = join(acq, people).member
    _, png = member_card.card_files(acq, member.id, people.sec, png=True)
    assert png.startswith(b"\x89PNG")
    from io import BytesIO

    from PIL import Image

    image = Image.open(BytesIO(png))
    assert abs(image.width - round(CARD_W / 25.4 * 300)) <= 1
    assert abs(image.height - round(CARD_H / 25.4 * 300)) <= 1


def test_the_printed_qr_code_scans_to_the_signed_payload(acq, people, tmp_path):
    """Decode the QR of the rendered card with zbarimg, where the machine has it."""
    import shutil
    import subprocess

    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip("zbarimg (zbar-tools) is not installed")
    pytest.importorskip("pypdfium2")
    member = join(acq, people).member
    card, png = member_card.card_files(acq, member.id, people.sec, png=True)
    (tmp_path / "card.png").write_bytes(png)
    scanned = subprocess.run([zbarimg, "--quiet", "--raw", str(tmp_path / "card.png")],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert scanned == card.payload
    assert member_card.verify(acq, scanned).status == "valid"


@pytest.mark.parametrize("name", ["Đặng Thị Ngọc", "Zoë Łukasz"])
def test_names_outside_latin1_print_as_written(acq, people, name, tmp_path):
    """The card embeds the Unicode font: the name reads back exactly, no transliteration,
    on the single card and on the A4 sheet."""
    from pdfs import pdf_text

    member = join(acq, people, full_name=name).member
    assert member.name == name
    _card, pdf = member_card.card_files(acq, member.number, people.sec)
    _count, sheet = member_card.sheet_file(acq, people.sec)
    ascii_form = {"Đặng Thị Ngọc": "Dang Thi Ngoc", "Zoë Łukasz": "Zoe Lukasz"}[name]
    for kind, data in (("card", pdf), ("sheet", sheet)):
        assert b"DejaVu" in data  # the embedded font, not a core font
        (tmp_path / f"{kind}.pdf").write_bytes(data)
        text = pdf_text(tmp_path / f"{kind}.pdf")
        assert name in text and ascii_form not in text
