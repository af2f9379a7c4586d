"""The shared PDF helper: the embedded Unicode font and the paginating table writer."""

from __future__ import annotations

import tempfile
import tomllib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdfs import page_lines

from dyncrm.pdf import FONT_DIR, LICENCE_FILE, font_files, new_document, table
from dyncrm.reports import ReportColumn

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["Đặng Thị Ngọc", "Zoë Łukasz", "Şükrü Ağaoğlu", "Ñandú Çelik"]
COLUMNS = [ReportColumn("no", "No.", "R", 0.6), ReportColumn("name", "Nama anggota", "L", 2.0),
           ReportColumn("amount", "Jumlah potongan", "R", 1.0)]


def render(rows, *, totals=None) -> list[list[str]]:
    pdf = new_document()
    pdf.add_page()
    table(pdf, COLUMNS, rows, totals=totals)
    return page_lines(bytes(pdf.output()))


def test_the_font_and_its_licence_are_package_data():
    for path in font_files().values():
        assert path.is_file() and path.stat().st_size > 100_000
    licence = (FONT_DIR / LICENCE_FILE).read_text()
    assert "Bitstream" in licence and "DejaVu" in licence
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    patterns = data["package-data"]["*"]
    assert "fonts/*.ttf" in patterns and f"fonts/{LICENCE_FILE}" in patterns


def test_names_outside_latin1_print_as_written():
    pages = render([{"no": i, "name": name, "amount": "Rp 50.000"}
                    for i, name in enumerate(NAMES, 1)])
    assert len(pages) == 1
    for name in NAMES:
        assert any(name in line for line in pages[0]), name


def test_the_shipped_font_covers_the_scripts_members_write_their_names_in():
    from fontTools.ttLib import TTFont

    wanted = "".join(NAMES) + "ĐặngThịNgọcŁukaszŠtěpánÇağrıΩμέγαЖанна€₫–—“”‘’…•✓"
    for style, path in font_files().items():
        cmap = TTFont(path, lazy=True).getBestCmap()
        missing = sorted({c for c in wanted if not c.isspace() and ord(c) not in cmap})
        assert not missing, (style, missing)


def test_documents_made_one_after_another_and_in_threads_each_embed_their_own_glyphs():
    """The parsed font is shared per process; every document still embeds what it used."""
    from concurrent.futures import ThreadPoolExecutor

    from pdfs import pdf_pages

    def one(index: int, folder: Path) -> str:
        pdf = new_document()
        pdf.add_page()
        pdf.set_font("DejaVu", "B" if index % 2 else "", 11)
        pdf.cell(0, 8, f"{index}: {NAMES[index % len(NAMES)]}")
        path = folder / f"doc-{index}.pdf"
        path.write_bytes(bytes(pdf.output()))
        return pdf_pages(path)[0]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        serial = [one(i, folder) for i in range(3)]
        with ThreadPoolExecutor(max_workers=3) as pool:
            threaded = list(pool.map(lambda i: one(i, folder), range(3, 9)))
    for index, text in enumerate(serial + threaded):
        assert f"{index}: {NAMES[index % len(NAMES)]}" in text, (index, text)


def check_pages(pages: list[list[str]], count: int, *, totals: bool) -> None:
    """Every page starts with the header and holds at least one row; each row once.

    A table started too low for its header and first row begins on the next page,
    so the pages before it are blank (nothing else was written on them)."""
    seen: list[int] = []
    lines: list[str] = []
    while pages and not pages[0]:
        pages = pages[1:]
    assert pages, "the table printed nothing"
    for number, lines in enumerate(pages, 1):
        assert lines[0] == "No. Nama anggota Jumlah potongan", (number, lines[:2])
        body = lines[1:]
        assert body, f"page {number} holds only the header"
        for line in body:
            first = line.split()[0]
            if first.isdigit():  # a row starts with its number; wrapped lines do not
                seen.append(int(first))
    assert seen == list(range(count))
    if totals:
        assert lines[-1] == "Jumlah Rp 9.999"


def test_long_table_repeats_its_header_and_keeps_every_row_once():
    rows = [{"no": i, "name": f"Anggota {NAMES[i % 4]}", "amount": f"Rp {i}"}
            for i in range(250)]
    pages = render(rows, totals={"name": "Jumlah", "amount": "Rp 9.999"})
    assert len(pages) >= 4
    check_pages(pages, 250, totals=True)


def test_long_names_wrap_instead_of_being_cut():
    long_name = " ".join(["Raden Ajeng Đặng Thị Ngọc Kusumawardhani"] * 4)
    pages = render([{"no": 0, "name": long_name, "amount": "Rp 1"}])
    words = " ".join(pages[0][1:]).split()
    # every word of the name is on the page, in order, however the lines broke
    assert [w for w in words if w in long_name.split()] == long_name.split()
    assert not any("…" in line or "..." in line for line in pages[0])


def test_rows_come_from_a_generator_and_an_empty_table_says_so():
    pdf = new_document()
    pdf.add_page()
    assert table(pdf, COLUMNS, (r for r in [{"no": 1, "name": "A", "amount": "1"}])) == 1
    assert table(pdf, COLUMNS, iter(()), empty="(tidak ada data)") == 0
    assert "(tidak ada data)" in page_lines(bytes(pdf.output()))[0]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(count=st.integers(1, 160), start=st.floats(20, 270), wraps=st.sets(st.integers(0, 159)),
       totals=st.booleans())
def test_any_table_started_anywhere_paginates_whole_rows(count, start, wraps, totals):
    """Started at any height, with any rows made to wrap: the same guarantees."""
    pdf = new_document()
    pdf.add_page()
    pdf.set_y(start)
    rows = [{"no": i, "name": (" ".join(["Ngọc Łukasz Wijayakusuma"] * 6) if i in wraps
                               else "Zoë"), "amount": str(i)} for i in range(count)]
    table(pdf, COLUMNS, rows, totals={"name": "Jumlah", "amount": "Rp 9.999"} if totals
          else None)
    pages = page_lines(bytes(pdf.output()))
    check_pages(pages, count, totals=totals)
