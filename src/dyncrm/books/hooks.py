"""The core's own account kinds on the chart (hook ``dyncrm_chart_accounts``).

The core posts to two equity accounts itself: ``equity.opening``, the
counter-account of the opening balances a cooperative brings
(:mod:`dyncrm.opening`), and ``equity.year_result``, where closing a fiscal
year moves its income and expenses (:mod:`dyncrm.periods`).
"""

from __future__ import annotations

from dyncrm.books.chart import ChartAccount
from dyncrm.hookspecs import hookimpl


@hookimpl
def dyncrm_chart_accounts():
    """Opening balances and the closed years' results: equity."""
    return [
        ChartAccount("equity.opening", "equity", "Opening balances"),
        ChartAccount("equity.year_result", "equity", "Result of closed years"),
    ]
