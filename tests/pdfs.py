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
