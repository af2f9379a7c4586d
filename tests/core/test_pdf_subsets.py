"""dyncrm.pdf_subsets: a document whose font program was cut down once for its glyph set
is byte for byte the document fpdf2 makes on its own, the first time and every time after."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from dyncrm import pdf as core_pdf
from dyncrm import pdf_subsets

#: Letters the shipped font has (Latin with accents, Greek, Cyrillic), digits, signs.
ALPHABET = ("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;-+×÷—–'\"()"
            "ÀÉÎÕÜàéîõüçÇñÑŁłŚśŻżĐđặ" "ΑΒΓΔαβγδ" "АБВГабвг")
texts = st.lists(st.text(ALPHABET, min_size=1, max_size=40), min_size=1, max_size=4)


def document(lines: list[str]) -> bytes:
    """A page with the lines in regular type and the first one again in bold."""
    pdf = core_pdf.new_document(title="uji")
    pdf.set_creation_date(dt.datetime(2025, 12, 31, tzinfo=dt.UTC))
    pdf.add_page()
    for line in lines:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(core_pdf.FONT_FAMILY, "B", 12)
    pdf.cell(0, 6, lines[0])
    return bytes(pdf.output())


def _fpdf2s_own_map(font, source, data):
    from fpdf.fonts import SubsetMap

    return SubsetMap(font)


def fpdf2_alone(lines: list[str]) -> bytes:
    """The document made with fpdf2's own glyph map: the font cut down by fpdf2 alone."""
    ours = pdf_subsets.subset_map
    pdf_subsets.subset_map = _fpdf2s_own_map
    try:
        return document(lines)
    finally:
        pdf_subsets.subset_map = ours


@settings(max_examples=25, deadline=None)
@given(lines=texts)
def test_a_document_is_the_one_fpdf2_makes_alone(lines) -> None:
    expected = fpdf2_alone(lines)
    assert document(lines) == expected  # the glyph set cut down now, or before
    assert document(lines) == expected  # cut down before: the saved program again


def test_documents_with_other_glyphs_get_their_own_program() -> None:
    pdf_subsets.clear()
    first, second = ["Anggota Budi, Rp 1.500.000"], ["Anggota Żaneta — Rp 2.750.000"]
    assert document(first) == fpdf2_alone(first)
    assert document(second) == fpdf2_alone(second)
    assert document(first) == fpdf2_alone(first)
    assert len(pdf_subsets._programs) == 4  # two glyph sets, each in two styles


def test_only_the_last_glyph_sets_are_kept(monkeypatch) -> None:
    pdf_subsets.clear()
    monkeypatch.setattr(pdf_subsets, "KEPT", 3)
    for text in ("a", "b", "c", "d"):
        document([text])
    assert len(pdf_subsets._programs) == 3
