"""A member's savings statement as rows, CSV and a printable PDF (fpdf2).

The rows are the ones ``dyncrm savings statement --csv`` writes; the web portal
offers the same rows as a CSV download and a PDF of the same statements.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from fpdf import FPDF

from dyncrm import output
from dyncrm_expand.savings.common import product_name
from dyncrm_expand.savings.values import Statement

#: the columns of a statement's CSV
CSV_COLUMNS = ["product", "date", "entry", "description", "amount", "balance"]


def statement_rows(crm, statements: Sequence[Statement]) -> list[dict[str, Any]]:
    """One row per movement of every statement, in the order of the CSV columns."""
    rows: list[dict[str, Any]] = []
    for st in statements:
        name = product_name(crm, st.product)
        rows.extend({"product": name, "date": ln.date, "entry": ln.entry_id,
                     "description": ln.memo, "amount": ln.amount, "balance": ln.balance}
                    for ln in st.lines)
    return rows


def statement_csv(crm, statements: Sequence[Statement]) -> bytes:
    """The statements' rows as UTF-8 CSV (spreadsheet-safe cells)."""
    buffer = io.StringIO()
    output.write_csv(statement_rows(crm, statements), buffer, CSV_COLUMNS)
    return buffer.getvalue().encode("utf-8")


def _latin1(text: Any) -> str:
    """The built-in PDF fonts cover Latin-1 only; anything else becomes '?'."""
    return str(text).encode("latin-1", "replace").decode("latin-1")


def statement_pdf(crm, member, statements: Sequence[Statement], year: int | None) -> bytes:
    """The statements of ``member`` (a member row) as an A4 PDF, one table per product."""
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_creator("dyncrm")
    title = crm.t("Savings statement")
    pdf.set_title(_latin1(title))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.cell(0, 7, _latin1(crm.config.organisation), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    period = str(year) if year else crm.t("All time")
    who = f"{member.number or '#' + str(member.id)} {member.name}"
    pdf.cell(0, 6, _latin1(f"{title} - {who} - {period}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    widths = (28, 98, 32, 32)
    heads = (crm.t("Date"), crm.t("Description"), crm.t("Amount"), crm.t("Balance"))
    for st in statements:
        pdf.set_font("Helvetica", "B", 11)
        pdf.cell(0, 7, _latin1(product_name(crm, st.product)), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(0, 5, _latin1(f"{crm.t('Opening balance')}: {crm.format_money(st.opening)}"),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 8)
        for head, width in zip(heads, widths, strict=True):
            pdf.cell(width, 6, _latin1(head), border=1, align="C")
        pdf.ln()
        pdf.set_font("Helvetica", "", 8)
        for line in st.lines:
            if pdf.will_page_break(6):
                pdf.add_page()
            cells = (line.date.isoformat(), line.memo[:70], crm.format_money(line.amount),
                     crm.format_money(line.balance))
            for text, width, align in zip(cells, widths, "LLRR", strict=True):
                pdf.cell(width, 6, _latin1(text), border=1, align=align)
            pdf.ln()
        pdf.set_font("Helvetica", "B", 9)
        pdf.cell(0, 6, _latin1(f"{crm.t('Closing balance')}: {crm.format_money(st.closing)}"),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    return bytes(pdf.output())


__all__ = ["CSV_COLUMNS", "statement_csv", "statement_pdf", "statement_rows"]
