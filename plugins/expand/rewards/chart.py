"""Where the rewards plugin's accounts sit on the chart (hook ``dyncrm_chart_accounts``).

Reward points are kept in their own commodity (``POINTS``), not money: the
chart names them, and the financial statements (in the deployment's currency)
leave them out.
"""

from __future__ import annotations

from dyncrm.books.chart import ChartAccount
from dyncrm.hookspecs import hookimpl


@hookimpl
def dyncrm_chart_accounts():
    """Points owed to members, issued and redeemed (in POINTS)."""
    return [
        ChartAccount("rewards.points", "liability", "Reward points owed to members"),
        ChartAccount("rewards.issued", "expense", "Reward points issued"),
        ChartAccount("rewards.redeemed", "income", "Reward points redeemed"),
    ]
