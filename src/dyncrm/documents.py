"""Printed documents from HTML templates: receipts, passbooks, loan agreements.

A document is rendered once, as an HTML fragment from a Jinja2 template the
deployment can override by name; the web portal shows that fragment and
:func:`html_to_pdf` lays the same HTML out as a PDF with fpdf2's ``write_html``
in the shipped Unicode font (:mod:`dyncrm.pdf`), tables paginated with their
header row repeated on every page.

What a document template may use is what fpdf2's HTML renderer understands:
``h1``–``h4``, ``p``, ``b``/``strong``, ``br``, ``hr``, ``table`` (with
``thead``, ``th``, ``td``, ``width`` and ``align``), ``ul``/``li``.  No italic
(the font ships regular and bold only), no CSS.

fpdf2 is imported only inside :func:`html_to_pdf`, so importing this module
costs nothing.
"""

from __future__ import annotations

from pathlib import Path

from dyncrm.files import write_atomic


def html_to_pdf(html: str, *, title: str = "", author: str = "",
                font_size: float = 9) -> bytes:
    """``html`` (a document fragment) laid out on A4 pages as PDF bytes, body text in
    ``font_size`` points (headings scale from it)."""
    from dyncrm.pdf import FONT_FAMILY, new_document  # the one place the font is chosen

    pdf = new_document(title=title, author=author)
    pdf.set_font(FONT_FAMILY, "", font_size)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.write_html(html, font_family=FONT_FAMILY, warn_on_tags_not_matching=False)
    return bytes(pdf.output())


def write_private(path: str | Path, data: bytes) -> Path:
    """Write a document that names a member to ``path`` whole or not at all, mode 0600."""
    return write_atomic(path, data, private=True)


__all__ = ["html_to_pdf", "write_private"]
