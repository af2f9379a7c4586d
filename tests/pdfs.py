"""Reading the text of PDFs the tests wrote (pypdfium2, from the test extras)."""

from __future__ import annotations


def pdf_pages(path) -> list[str]:
    """The text of each page of a PDF (pypdfium2, from the test extras)."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        return [pdf[i].get_textpage().get_text_range() for i in range(len(pdf))]
    finally:
        pdf.close()


def pdf_text(path) -> str:
    """The text of a whole PDF, pages separated by newlines."""
    return "\n".join(pdf_pages(path))


def page_lines(source) -> list[list[str]]:
    """Each page's text as visual lines, top to bottom: the text pieces pdfium finds,
    grouped by their vertical middle (within 2.5 pt) and joined left to right with a space.

    pdfium's own text order joins neighbouring table rows into one line; this does
    not. ``source`` is a path or the PDF's bytes.
    """
    import pypdfium2

    pdf = pypdfium2.PdfDocument(source if isinstance(source, bytes) else str(source))
    try:
        pages = []
        for i in range(len(pdf)):
            text = pdf[i].get_textpage()
            pieces = []
            for r in range(text.count_rects()):
                left, bottom, right, top = text.get_rect(r)
                piece = text.get_text_bounded(left, bottom, right, top).strip()
                if piece:
                    pieces.append(((top + bottom) / 2, left, piece))
            lines: list[tuple[float, list[tuple[float, str]]]] = []
            for middle, left, piece in sorted(pieces, key=lambda p: (-p[0], p[1])):
                if lines and abs(lines[-1][0] - middle) <= 2.5:
                    lines[-1][1].append((left, piece))
                else:
                    lines.append((middle, [(left, piece)]))
            pages.append([" ".join(p for _, p in sorted(parts)) for _, parts in lines])
        return pages
    finally:
        pdf.close()
