"""Where the savings plugin's accounts sit on the chart (hook ``dyncrm_chart_accounts``).

Simpanan pokok and wajib are the members' capital: kept as liabilities in the
ledger (owed back when a member leaves) but equity on the balance sheet
(UU 25/1992 ps. 41).  Simpanan sukarela and any other product can be withdrawn:
liabilities.  Interest on sukarela is an expense, the PPh withheld from it a
liability until it is paid to the tax office.
"""

from __future__ import annotations

from dyncrm.books.chart import ChartAccount
from dyncrm.hookspecs import hookimpl


@hookimpl
def dyncrm_chart_accounts():
    """Cash, bank, the savings products, interest on savings and its PPh."""
    return [
        ChartAccount("cash", "asset", "Cash"),
        ChartAccount("bank", "asset", "Bank"),
        ChartAccount("savings.pokok", "equity", "Members' share savings (simpanan pokok)"),
        ChartAccount("savings.wajib", "equity", "Mandatory savings (simpanan wajib)"),
        ChartAccount("savings.sukarela", "liability", "Voluntary savings (simpanan sukarela)"),
        ChartAccount("savings.*", "liability", "Other savings products", code="savings"),
        ChartAccount("expense.savings_interest", "expense", "Interest on savings"),
        ChartAccount("payable.tax.pph_savings_interest", "liability",
                     "PPh withheld from interest on savings"),
    ]
