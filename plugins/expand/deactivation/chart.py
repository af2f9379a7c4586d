"""Where the leaving plugin's accounts sit on the chart (hook ``dyncrm_chart_accounts``).

A leaving member's savings refund, approved and not paid out yet, is a
liability; it is paid from cash or bank.
"""

from __future__ import annotations

from dyncrm.books.chart import ChartAccount
from dyncrm.hookspecs import hookimpl


@hookimpl
def dyncrm_chart_accounts():
    """Savings refunds awaiting payout."""
    return [
        ChartAccount("cash", "asset", "Cash"),
        ChartAccount("bank", "asset", "Bank"),
        ChartAccount("payable.refund", "liability", "Savings refunds payable to leavers"),
    ]
