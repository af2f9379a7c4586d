"""Where the loans plugin's accounts sit on the chart (hook ``dyncrm_chart_accounts``).

Outstanding principal is a receivable (asset); interest (jasa), fees (provisi,
administrasi) and penalties (denda) are income; principal written off is an
expense (the account a deployment names in ``write_off_account``, by default
``expense.loan_writeoff``).  Cash and bank are declared by the savings plugin
too; the same kind in the same section is one line.
"""

from __future__ import annotations

from dyncrm.books.chart import ChartAccount
from dyncrm.hookspecs import hookimpl


@hookimpl
def dyncrm_chart_accounts():
    """Loans receivable, their income and write-offs."""
    return [
        ChartAccount("cash", "asset", "Cash"),
        ChartAccount("bank", "asset", "Bank"),
        ChartAccount("loans.principal", "asset", "Loans to members"),
        ChartAccount("income.loan_interest", "income", "Interest on loans"),
        ChartAccount("income.loan_fees", "income", "Loan fees"),
        ChartAccount("income.loan_penalty", "income", "Late payment penalties"),
        ChartAccount("expense.loan_writeoff", "expense", "Loans written off"),
    ]
