"""The treasurer's books: chart of accounts, journal and ledger views, financial statements.

- :mod:`dyncrm.books.chart` — the chart of accounts a cooperative's accountant
  recognises, mapping the ledger's account kinds to chart lines
  (``[books]`` in the config, hook ``dyncrm_chart_accounts`` for the plugins'
  defaults) and the check that every kind in use is on a line;
- :mod:`dyncrm.books.journal` — entries searched by date, account, member,
  reference, plugin and kind; an account's (or chart line's) ledger with a
  running balance; the trial balance on any date;
- :mod:`dyncrm.books.statements` — balance sheet (neraca), income statement
  (perhitungan hasil usaha) and changes in equity for any period, comparative
  with the previous one, as :class:`dyncrm.reports.Report` values;
- :mod:`dyncrm.books.render` — those reports as a terminal table, CSV and PDF.

Everything here reads; nothing writes to the ledger.  Reading is set-based:
a fixed number of grouped queries per statement whatever the number of
members, and long lists (entries, a line's ledger) are streamed.
"""

from __future__ import annotations

from dyncrm.books.chart import SECTIONS, Chart, ChartAccount, ChartLine

# the functions stay in their modules (dyncrm.books.chart.chart, .check ...), so that
# ``dyncrm.books.chart`` is always the module
__all__ = ["SECTIONS", "Chart", "ChartAccount", "ChartLine"]
