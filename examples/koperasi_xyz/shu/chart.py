"""Where the SHU plugin's accounts sit on the chart (hook ``dyncrm_chart_accounts``).

The year's SHU waits in ``equity.shu_undistributed`` (entered from
``equity.income_summary``) until it is posted: to members (their sukarela, or
``payable.shu`` when paid in cash), to the reserve (dana cadangan) and to the
funds (``equity.fund.<name>``: pendidikan, sosial, pengurus ...).  PPh withheld
from members' shares is owed to the tax office.
"""

from __future__ import annotations

from dyncrm.books.chart import ChartAccount
from dyncrm.hookspecs import hookimpl


@hookimpl
def dyncrm_chart_accounts():
    """The SHU's equity accounts and what it owes."""
    return [
        ChartAccount("equity.income_summary", "equity", "Income summary"),
        ChartAccount("equity.shu_undistributed", "equity", "SHU not yet distributed"),
        ChartAccount("equity.reserve", "equity", "Statutory reserve (dana cadangan)"),
        ChartAccount("equity.fund.*", "equity", "SHU funds (pendidikan, sosial, ...)",
                     code="equity.fund"),
        ChartAccount("payable.shu", "liability", "SHU payable to members"),
        ChartAccount("payable.tax.pph_shu", "liability", "PPh withheld from SHU shares"),
    ]
