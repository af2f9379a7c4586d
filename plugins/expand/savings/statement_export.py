"""A member's savings statement as rows, CSV and a printable PDF (:mod:`dyncrm.pdf`).

The rows are the ones ``dyncrm savings statement --csv`` writes; the web portal
offers the same rows as a CSV download and a PDF of the same statements.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

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


def statement_pdf(crm, member, statements: Sequence[Statement], year: int | None) -> bytes:
    """The statements of ``member`` (a member row) as an A4 PDF, one table per product.

    Printed in the Unicode font of :mod:`dyncrm.pdf`, so the member's name appears as
    written; each table's header row repeats on every page it continues on.
    """
    from dyncrm.pdf import FONT_FAMILY, new_document, table  # fpdf2 only when printing
    from dyncrm.reports import ReportColumn

    title = crm.t("Savings statement")
    organisation = crm.config.organisation
    pdf = new_document(title=title, author=organisation.name)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT_FAMILY, "B", 13)
    pdf.cell(0, 7, organisation.name, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT_FAMILY, "", 11)
    period = str(year) if year else crm.t("All time")
    who = f"{member.number or '#' + str(member.id)} {member.name}"
    pdf.multi_cell(0, 6, f"{title} – {who} – {period}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    columns = [ReportColumn("date", crm.t("Date"), "L", 28),
               ReportColumn("description", crm.t("Description"), "L", 98),
               ReportColumn("amount", crm.t("Amount"), "R", 32),
               ReportColumn("balance", crm.t("Balance"), "R", 32)]
    for st in statements:
        pdf.set_font(FONT_FAMILY, "B", 11)
        pdf.cell(0, 7, product_name(crm, st.product), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT_FAMILY, "", 9)
        pdf.cell(0, 5, f"{crm.t('Opening balance')}: {crm.format_money(st.opening)}",
                 new_x="LMARGIN", new_y="NEXT")
        rows = ({"date": line.date.isoformat(), "description": line.memo,
                 "amount": crm.format_money(line.amount),
                 "balance": crm.format_money(line.balance)} for line in st.lines)
        table(pdf, columns, rows,
              totals={"description": crm.t("Closing balance"),
                      "balance": crm.format_money(st.closing)})
        pdf.ln(3)
    return bytes(pdf.output())


__all__ = ["CSV_COLUMNS", "statement_csv", "statement_pdf", "statement_rows"]
