"""Drawing member cards with fpdf2: one ID-1 card per page, or ten on an A4 sheet.

ID-1 is the bank-card size of ISO/IEC 7810: 85.60 × 53.98 mm, corner radius
3.18 mm.  The QR code comes from segno and is drawn as vector squares, so it
stays sharp at any printer resolution.  Text uses the Unicode font of
:mod:`dyncrm.pdf` (DejaVu Sans, shipped with dyncrm), so every name prints as
written ("Đặng Thị Ngọc", "Zoë Łukasz").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from dyncrm.errors import ConfigError, DyncrmError
from dyncrm.pdf import FONT_FAMILY
from dyncrm_acquire.member_card.cards import CardData
from dyncrm_acquire.settings import CardLabels, CardSettings

if TYPE_CHECKING:
    from fpdf import FPDF  # imported where a PDF is made: fpdf pulls numpy and fontTools

    from dyncrm.app import CRM

CARD_W, CARD_H, CARD_R = 85.60, 53.98, 3.18
A4_W, A4_H = 210.0, 297.0
SHEET_COLS, SHEET_ROWS = 2, 5
GAP_X, GAP_Y = 6.0, 2.5

LABELS = {
    "en": {"title": "MEMBER CARD", "number": "Member no.", "name": "Name",
           "employee_number": "Employee no.", "department": "Department",
           "joined": "Member since", "status": "Status", "active": "Active",
           "leaving": "Leaving", "scan_hint": "Scan to verify"},
    "id": {"title": "KARTU ANGGOTA", "number": "Nomor Anggota", "name": "Nama",
           "employee_number": "NIK Karyawan", "department": "Departemen",
           "joined": "Bergabung", "status": "Status", "active": "Aktif",
           "leaving": "Proses keluar", "scan_hint": "Pindai untuk verifikasi"},
}
INK = (33, 37, 41)
MUTED = (108, 117, 125)
RULE = (222, 226, 230)


@attrs.frozen
class CardStyle:
    """Resolved look of the cards of one deployment."""

    organisation: str
    address: str
    logo: Path | None
    color: tuple[int, int, int]
    labels: dict[str, str]
    date: object  # callable(date) -> str


def labels_for(locale_tag: str, configured: CardLabels) -> dict[str, str]:
    """Card labels: the locale's defaults, overridden by the configured ones."""
    base = dict(LABELS["id" if locale_tag.lower().startswith("id") else "en"])
    base.update({k: v for k, v in attrs.asdict(configured).items() if v})
    return base


def style_for(crm: CRM, conf: CardSettings) -> CardStyle:
    """The card style of a deployment (logo resolved against the config file)."""
    logo = None
    if conf.logo:
        logo = crm.config.resolve(conf.logo)
        if not logo.is_file():
            raise ConfigError(f"logo file {logo} does not exist", path=crm.config.path,
                              key='plugins."acquire.member_card".logo')
    colour = conf.color.lstrip("#")
    return CardStyle(
        organisation=crm.config.organisation.name,
        address=crm.config.organisation.address,
        logo=logo,
        color=(int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)),
        labels=labels_for(crm.config.organisation.locale, conf.labels),
        date=crm.locale.date,
    )


def _fit(pdf: FPDF, text: str, width: float, size: float, minimum: float,
         style: str = "") -> tuple[str, float]:
    """Shrink the font down to ``minimum`` pt, then shorten with '...' to fit ``width``."""
    text = text or ""
    while size > minimum:
        pdf.set_font(FONT_FAMILY, style, size)
        if pdf.get_string_width(text) <= width:
            return text, size
        size -= 0.25
    pdf.set_font(FONT_FAMILY, style, minimum)
    if pdf.get_string_width(text) <= width:
        return text, minimum
    while text and pdf.get_string_width(text + "...") > width:
        text = text[:-1]
    return text.rstrip() + "...", minimum


def _two_lines(pdf: FPDF, text: str, width: float, size: float,
               style: str = "B") -> tuple[list[str], float]:
    """Split ``text`` at a space into at most two lines that fit ``width`` at ``size`` pt."""
    pdf.set_font(FONT_FAMILY, style, size)
    words = (text or "").split()
    first: list[str] = []
    while words and pdf.get_string_width(" ".join([*first, words[0]])) <= width:
        first.append(words.pop(0))
    if not first:
        line, _ = _fit(pdf, " ".join(words), width, size, size, style)
        return [line], size
    rest = " ".join(words)
    if not rest:
        return [" ".join(first)], size
    second, _ = _fit(pdf, rest, width, size, size, style)
    return [" ".join(first), second], size


def _lighter(color: tuple[int, int, int], amount: float) -> tuple[int, int, int]:
    return tuple(round(c + (255 - c) * amount) for c in color)  # type: ignore[return-value]


def _initials(name: str) -> str:
    words = [w for w in name.replace("-", " ").split() if w[:1].isalnum()]
    skip = {"koperasi", "kopkar", "karyawan", "the", "of", "cooperative"}
    main = [w for w in words if w.lower() not in skip] or words
    if len(main) == 1 and len(main[0]) <= 3:
        return main[0].upper()
    return "".join(w[0].upper() for w in main[:2]) or "K"


def _qr(pdf: FPDF, payload: str, x: float, y: float, size: float) -> None:
    """Draw the QR code of ``payload`` as a ``size`` mm square of vector modules."""
    import segno

    qr = segno.make(payload, error="m", micro=False)
    matrix = qr.matrix
    modules = len(matrix)
    step = size / modules
    pdf.set_fill_color(0, 0, 0)
    for r, row in enumerate(matrix):
        c = 0
        while c < modules:
            if row[c]:
                start = c
                while c < modules and row[c]:
                    c += 1
                pdf.rect(x + start * step, y + r * step, (c - start) * step + 0.01,
                         step + 0.01, style="F")
            else:
                c += 1


def draw_card(pdf: FPDF, card: CardData, style: CardStyle, x: float, y: float) -> None:
    """Draw one card with its top-left corner at (``x``, ``y``) mm."""
    labels = style.labels
    header_h = 13.0
    # header band with rounded top corners
    pdf.set_fill_color(*style.color)
    pdf.rect(x, y, CARD_W, header_h, style="F", round_corners=("TOP_LEFT", "TOP_RIGHT"),
             corner_radius=CARD_R)
    pdf.set_fill_color(*_lighter(style.color, 0.55))
    pdf.rect(x, y + header_h, CARD_W, 0.8, style="F")
    text_x = x + 4.5
    if style.logo is not None:
        pdf.image(str(style.logo), x=x + 3.5, y=y + 2.0, h=9.0)
        text_x = x + 15.0
    else:
        pdf.set_fill_color(255, 255, 255)
        pdf.ellipse(x + 3.5, y + 2.0, 9.0, 9.0, style="F")
        pdf.set_text_color(*style.color)
        initials = _initials(style.organisation)
        pdf.set_font(FONT_FAMILY, "B", 10 if len(initials) < 3 else 8)
        pdf.set_xy(x + 3.5, y + 2.0)
        pdf.cell(9.0, 9.0, initials, align="C")
        text_x = x + 15.0
    width = x + CARD_W - 4.5 - text_x
    pdf.set_text_color(255, 255, 255)
    name, _ = _fit(pdf, style.organisation, width, 10.5, 7, "B")
    pdf.set_xy(text_x, y + 2.4)
    pdf.cell(width, 5.0, name)
    pdf.set_font(FONT_FAMILY, "", 6.5)
    pdf.set_char_spacing(0.6)
    pdf.set_xy(text_x, y + 7.4)
    pdf.cell(width, 3.5, labels["title"])
    pdf.set_char_spacing(0)

    # body: left column of fields, QR on the right
    qr_size = 23.0
    qr_x = x + CARD_W - 4.0 - qr_size
    qr_y = y + header_h + 3.6
    left = x + 4.5
    col_w = qr_x - 3.0 - left
    top = y + header_h + 3.2
    pdf.set_text_color(*MUTED)
    pdf.set_font(FONT_FAMILY, "", 5.5)
    pdf.set_xy(left, top)
    pdf.cell(col_w, 2.6, labels["number"].upper())
    pdf.set_text_color(*style.color)
    number, _ = _fit(pdf, card.number, col_w, 12, 8, "B")
    pdf.set_xy(left, top + 2.6)
    pdf.cell(col_w, 5.2, number)
    pdf.set_text_color(*INK)
    pdf.set_font(FONT_FAMILY, "", 5.5)
    pdf.set_text_color(*MUTED)
    pdf.set_xy(left, top + 8.6)
    pdf.cell(col_w, 2.6, labels["name"].upper())
    pdf.set_text_color(*INK)
    shift = 0.0
    person, _ = _fit(pdf, card.name, col_w, 9.5, 7.5, "B")
    if not person.endswith("..."):
        pdf.set_xy(left, top + 11.2)
        pdf.cell(col_w, 4.4, person)
    else:
        lines, _ = _two_lines(pdf, card.name, col_w, 7.5)
        for i, line in enumerate(lines):
            pdf.set_xy(left, top + 11.0 + i * 3.2)
            pdf.cell(col_w, 3.2, line)
        shift = 1.8 if len(lines) > 1 else 0.0

    status = labels.get(card.stage, card.stage.title())
    rows = [
        (labels["employee_number"], card.employee_number or "-"),
        (labels["department"], card.department or "-"),
        (labels["joined"], style.date(card.joined_on) if card.joined_on else "-"),
        (labels["status"], status),
    ]
    label_w = 17.5
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.15)
    row_y = top + 17.0 + shift
    pdf.line(left, row_y - 0.9, left + col_w, row_y - 0.9)
    for label, value in rows:
        pdf.set_text_color(*MUTED)
        lab, _ = _fit(pdf, label, label_w - 0.8, 5.8, 4.5)
        pdf.set_xy(left, row_y)
        pdf.cell(label_w, 3.4, lab)
        pdf.set_text_color(*INK)
        val, _ = _fit(pdf, value, col_w - label_w, 6.8, 5.0, "B")
        pdf.set_xy(left + label_w, row_y)
        pdf.cell(col_w - label_w, 3.4, val)
        row_y += 3.6

    _qr(pdf, card.payload, qr_x, qr_y, qr_size)
    pdf.set_text_color(*MUTED)
    hint, _ = _fit(pdf, f"{labels['scan_hint']} \u00b7 #{card.serial}", qr_size + 4, 4.8, 3.8)
    pdf.set_xy(qr_x - 2, qr_y + qr_size + 0.6)
    pdf.cell(qr_size + 4, 2.4, hint, align="C")

    # footer strip
    foot_h = 3.6
    pdf.set_fill_color(*style.color)
    pdf.rect(x, y + CARD_H - foot_h, CARD_W, foot_h, style="F",
             round_corners=("BOTTOM_LEFT", "BOTTOM_RIGHT"), corner_radius=CARD_R)
    if style.address:
        pdf.set_text_color(255, 255, 255)
        addr, _ = _fit(pdf, style.address, CARD_W - 10, 5, 3.8)
        pdf.set_xy(x + 5, y + CARD_H - foot_h + 0.4)
        pdf.cell(CARD_W - 10, foot_h - 0.8, addr, align="C")


def _outline(pdf: FPDF, x: float, y: float) -> None:
    pdf.set_draw_color(190, 190, 190)
    pdf.set_line_width(0.1)
    pdf.rect(x, y, CARD_W, CARD_H, style="D", round_corners=True, corner_radius=CARD_R)


def _new_pdf(title: str, author: str) -> FPDF:
    from dyncrm.pdf import new_document

    pdf = new_document(title=title, author=author)
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    return pdf


def card_pdf(card: CardData, style: CardStyle) -> bytes:
    """A PDF of one card on an ID-1 sized page (for card printers)."""
    pdf = _new_pdf(f"{style.labels['title']} {card.number}", style.organisation)
    pdf.add_page(format=(CARD_W, CARD_H))
    draw_card(pdf, card, style, 0, 0)
    return bytes(pdf.output())


def sheet_pdf(cards: Sequence[CardData], style: CardStyle,
              progress: Callable[[int], None] | None = None) -> bytes:
    """A PDF of A4 pages with ten cards each (2 × 5) and cutting outlines.

    ``progress(1)`` is called after each card is drawn.
    """
    if not cards:
        raise DyncrmError("no cards to print")
    pdf = _new_pdf(f"{style.labels['title']} ({len(cards)})", style.organisation)
    per_page = SHEET_COLS * SHEET_ROWS
    margin_x = (A4_W - SHEET_COLS * CARD_W - (SHEET_COLS - 1) * GAP_X) / 2
    margin_y = (A4_H - SHEET_ROWS * CARD_H - (SHEET_ROWS - 1) * GAP_Y) / 2
    for i, card in enumerate(cards):
        if i % per_page == 0:
            pdf.add_page(format="A4")
        slot = i % per_page
        col, row = slot % SHEET_COLS, slot // SHEET_COLS
        x = margin_x + col * (CARD_W + GAP_X)
        y = margin_y + row * (CARD_H + GAP_Y)
        draw_card(pdf, card, style, x, y)
        _outline(pdf, x, y)
        if progress is not None:
            progress(1)
    return bytes(pdf.output())


def to_png(pdf_bytes: bytes, dpi: int) -> list[bytes]:
    """Rasterise each page of a PDF to PNG (needs the optional pypdfium2: dyncrm[png])."""
    try:
        import pypdfium2 as pdfium
    except ImportError:
        raise DyncrmError("PNG output needs pypdfium2; install it with: "
                          "pip install 'dyncrm[png]'") from None
    import io

    document = pdfium.PdfDocument(pdf_bytes)
    pages = []
    try:
        for page in document:
            image = page.render(scale=dpi / 72).to_pil()
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", dpi=(dpi, dpi))
            pages.append(buffer.getvalue())
    finally:
        document.close()
    return pages
