"""Financial statements for any date or period, as :class:`~dyncrm.reports.Report` values.

- :func:`balance_sheet` — the balance sheet (neraca, laporan posisi keuangan)
  at the end of a day: assets, then liabilities and equity.  Income less
  expenses not yet closed into equity is an equity line of its own — the
  current fiscal year's, and any earlier year's not closed — so total assets
  always equal total liabilities and equity, to the minor unit, whether or not
  year-end closing entries were posted.
- :func:`income_statement` — the income statement (perhitungan hasil usaha,
  PHU) of a period: income, expenses and the result.  Entries closing income
  and expenses into equity (:func:`dyncrm.books.journal.closing_entries`) are
  left out, so a closed year still shows what it earned.
- :func:`changes_in_equity` — each equity line's opening balance, additions,
  deductions and closing balance over a period, with the result not closed.

Each reads with one grouped pass over the postings
(:func:`~dyncrm.books.journal.kind_totals_spans`: every column's sums in the same
statement) whatever the number of members.  ``compare=True`` adds the previous period's
column: the same day a year earlier for the balance sheet, the same dates a
year earlier for the income statement.  The fiscal year is the calendar year.

The labels are English message ids; a deployment's catalogue
(``dyncrm_translations``) prints them in its language, and the chart's line
names are the deployment's own (``[books]``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm.books.chart import SECTIONS, Chart, ChartLine, chart
from dyncrm.books.journal import KindTotal, Span, kind_totals_spans
from dyncrm.errors import ValidationError
from dyncrm.money import Money, from_minor
from dyncrm.reports import Report, ReportBuilder, ReportColumn, ReportOption, ReportSection

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.reports import ReportOptions

#: The permission needed to read the statements (the ledger's).
PERMISSION = "ledger.view"


def fiscal_year_start(day: dt.date) -> dt.date:
    """The first day of the fiscal year ``day`` is in (the calendar year)."""
    return day.replace(month=1, day=1)


def year_back(day: dt.date) -> dt.date:
    """The same day a year earlier (29 February → 28 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def year_period(year: int) -> tuple[dt.date, dt.date]:
    """1 January and 31 December of ``year``."""
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


# -- figures -------------------------------------------------------------------------


@attrs.frozen
class Figure:
    """A chart line's amount (minor units, as the line reads) on one or more dates."""

    line: ChartLine
    amounts: tuple[int, ...]


def _by_line(the_chart: Chart, totals: list[dict[str, KindTotal]], sections: tuple[str, ...],
             *, all_lines: bool = True) -> dict[str, list[Figure]]:
    """Amounts per chart line of ``sections``, one per column of ``totals``.

    Every line of those sections is shown (``all_lines``), and every kind in use
    that no line holds gets a stand-in line in its section.
    """
    kinds = {}
    for column in totals:
        for kind, total in column.items():
            kinds.setdefault(kind, total.ledger_type)
    lines: dict[str, ChartLine] = {}
    holds: dict[str, list[str]] = {}
    for kind, type_ in sorted(kinds.items()):
        line = the_chart.placement(kind, type_)
        if line.section not in sections:
            continue
        lines.setdefault(line.code, line)
        holds.setdefault(line.code, []).append(kind)
    if all_lines:
        for line in the_chart.lines:
            if line.section in sections:
                lines.setdefault(line.code, line)
    out: dict[str, list[Figure]] = {s: [] for s in sections}
    for code, line in sorted(lines.items(), key=lambda kv: (not kv[1].mapped, kv[0])):
        amounts = tuple(line.natural(sum(column[k].raw for k in holds.get(code, ())
                                         if k in column)) for column in totals)
        out[line.section].append(Figure(line, amounts))
    return out


def _result(the_chart: Chart, column: dict[str, KindTotal]) -> int:
    """Income less expenses in ``column`` (minor units; positive is a surplus)."""
    return -sum(total.raw for kind, total in column.items()
                if the_chart.placement(kind, total.ledger_type).section in ("income", "expense"))


@attrs.frozen
class BalanceSheet:
    """The balance sheet's figures: lines per section and the result lines, per date."""

    dates: tuple[dt.date, ...]
    sections: dict[str, list[Figure]]
    result: Figure  #: income less expenses of the current fiscal year, not closed
    earlier_result: Figure  #: of earlier years, not closed
    currency: str

    def total(self, section: str, column: int = 0) -> int:
        """The total of ``section`` (equity includes the result lines)."""
        total = sum(f.amounts[column] for f in self.sections[section])
        if section == "equity":
            total += self.result.amounts[column] + self.earlier_result.amounts[column]
        return total

    def difference(self, column: int = 0) -> int:
        """Assets less liabilities and equity: zero when the books balance."""
        return self.total("asset", column) - self.total("liability", column) \
            - self.total("equity", column)


def balance_sheet_figures(crm: CRM, on: dt.date, *, compare: bool = False) -> BalanceSheet:
    """The balance sheet at the end of ``on`` (and a year earlier with ``compare``)."""
    the_chart = chart(crm)
    dates = (on, year_back(on)) if compare else (on,)
    # one pass over the postings: to each date, and from its fiscal year's start
    columns = kind_totals_spans(crm, [*(Span(until=day) for day in dates),
                                      *(Span(fiscal_year_start(day), day) for day in dates)])
    cumulative, this_year = columns[:len(dates)], columns[len(dates):]
    sections = _by_line(the_chart, cumulative, ("asset", "liability", "equity"))
    current = tuple(_result(the_chart, c) for c in this_year)
    earlier = tuple(_result(the_chart, c) - r for c, r in zip(cumulative, current,
                                                              strict=True))
    return BalanceSheet(dates, sections, Figure(the_chart.result, current),
                        Figure(the_chart.earlier_result, earlier), crm.currency)


@attrs.frozen
class IncomeStatement:
    """The income statement's figures: income and expense lines per period."""

    periods: tuple[tuple[dt.date, dt.date], ...]
    sections: dict[str, list[Figure]]
    currency: str

    def total(self, section: str, column: int = 0) -> int:
        """Total income or total expenses."""
        return sum(f.amounts[column] for f in self.sections[section])

    def result(self, column: int = 0) -> int:
        """Income less expenses (the SHU when positive)."""
        return self.total("income", column) - self.total("expense", column)


def income_statement_figures(crm: CRM, since: dt.date, until: dt.date, *,
                             compare: bool = False) -> IncomeStatement:
    """Income and expenses from ``since`` to ``until`` (and a year earlier with ``compare``)."""
    if since > until:
        raise ValidationError("the period starts after it ends", field="since")
    the_chart = chart(crm)
    periods = ((since, until), (year_back(since), year_back(until))) if compare \
        else ((since, until),)
    columns = kind_totals_spans(crm, [Span(s, u, exclude_closing=True) for s, u in periods])
    return IncomeStatement(periods, _by_line(the_chart, columns, ("income", "expense")),
                           crm.currency)


@attrs.frozen
class EquityMovement:
    """One equity line over a period: opening, additions, deductions, closing."""

    line: ChartLine
    opening: int
    additions: int
    deductions: int

    @property
    def closing(self) -> int:
        """Opening plus additions less deductions."""
        return self.opening + self.additions - self.deductions


def changes_in_equity_figures(crm: CRM, since: dt.date, until: dt.date
                              ) -> tuple[list[EquityMovement], EquityMovement]:
    """Each equity line's movement from ``since`` to ``until``, and the result not closed.

    Additions are credits to the line, deductions debits.  The result line
    opens with income less expenses not closed before ``since``, adds the
    period's result (a loss is a deduction) and loses what closing entries moved
    into other equity lines; it closes with what is still not closed.
    """
    if since > until:
        raise ValidationError("the period starts after it ends", field="since")
    the_chart = chart(crm)
    before = since - dt.timedelta(days=1)
    # one pass over the postings: before the period, in it, and in it without closing
    opening, period, earning = kind_totals_spans(
        crm, [Span(until=before), Span(since, until), Span(since, until, exclude_closing=True)])
    kinds = {**{k: t.ledger_type for k, t in opening.items()},
             **{k: t.ledger_type for k, t in period.items()}}
    lines: dict[str, ChartLine] = {line.code: line for line in the_chart.lines
                                   if line.section == "equity"}
    holds: dict[str, list[str]] = {}
    for kind, type_ in sorted(kinds.items()):
        line = the_chart.placement(kind, type_)
        if line.section == "equity":
            lines.setdefault(line.code, line)
            holds.setdefault(line.code, []).append(kind)
    movements = []
    for code, line in sorted(lines.items(), key=lambda kv: (not kv[1].mapped, kv[0])):
        held = holds.get(code, [])
        start = line.natural(sum(opening[k].raw for k in held if k in opening))
        credits = sum(period[k].credit for k in held if k in period)
        debits = sum(period[k].debit for k in held if k in period)
        movements.append(EquityMovement(line, start, credits, debits))
    result_open = _result(the_chart, opening)
    result_close = result_open + _result(the_chart, period)
    earned = _result(the_chart, earning)  # the income statement's result of the period
    closed = result_close - result_open - earned  # moved out by closing entries (<= 0)
    additions = max(earned, 0) + max(closed, 0)
    deductions = max(-earned, 0) + max(-closed, 0)
    label = attrs.evolve(the_chart.result, name=crm.t("Income less expenses, not closed"))
    return movements, EquityMovement(label, result_open, additions, deductions)


# -- reports -------------------------------------------------------------------------


def _money(crm: CRM, units: int, currency: str) -> Money:
    return from_minor(units, currency, crm.ledger.exponent(currency))


def _amount(crm: CRM, units: int, currency: str) -> Decimal:
    return _money(crm, units, currency).amount


def _show(crm: CRM, units: int, currency: str) -> str:
    return crm.format_money(_money(crm, units, currency))


def _heading(crm: CRM, section: str) -> str:
    return crm.t({"asset": "Assets", "liability": "Liabilities", "equity": "Equity",
                  "income": "Income", "expense": "Expenses"}[section])


def _day(crm: CRM, day: dt.date) -> str:
    return crm.locale.date(day)


def _amount_keys(count: int) -> list[str]:
    return ["amount", "previous"][:count]


def _figure_rows(crm: CRM, figures: list[Figure], currency: str, section: str
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, raw = [], []
    for figure in figures:
        name = figure.line.name if figure.line.mapped else \
            crm.t("{kind} (not on the chart)", kind=figure.line.code)
        code = figure.line.code if figure.line.mapped else ""
        row: dict[str, Any] = {"code": code, "name": name}
        raw_row: dict[str, Any] = {"section": section, "code": code, "name": name}
        for key, units in zip(_amount_keys(len(figure.amounts)), figure.amounts, strict=True):
            row[key] = _show(crm, units, currency)
            raw_row[key] = _amount(crm, units, currency)
        rows.append(row)
        raw.append(raw_row)
    return rows, raw


def _total_row(crm: CRM, label: str, values: list[int], currency: str) -> dict[str, Any]:
    row: dict[str, Any] = {"code": "", "name": label}
    for key, units in zip(_amount_keys(len(values)), values, strict=True):
        row[key] = _show(crm, units, currency)
    return row


def _columns(crm: CRM, titles: list[str]) -> tuple[ReportColumn, ...]:
    return (ReportColumn("code", crm.t("Code"), "L", 0.8),
            ReportColumn("name", crm.t("Account"), "L", 3.2),
            *(ReportColumn(key, title, "R", 1.4)
              for key, title in zip(_amount_keys(len(titles)), titles, strict=False)))


def _unmapped_note(crm: CRM, figures: list[Figure]) -> list[str]:
    unmapped = sorted({f.line.code for f in figures if not f.line.mapped})
    if not unmapped:
        return []
    return [crm.t("account kinds not on the chart of accounts: {kinds} (see: dyncrm books "
                  "check)", kinds=", ".join(unmapped))]


def balance_sheet(crm: CRM, on: dt.date, *, compare: bool = False,
                  name: str = "balance-sheet") -> Report:
    """The balance sheet at the end of ``on`` as a report (with the previous year's column).

    Two sections: assets; liabilities and equity, with the result lines.  The
    summary says whether it balances.
    """
    bs = balance_sheet_figures(crm, on, compare=compare)
    cur, n = bs.currency, len(bs.dates)
    titles = [_day(crm, d) for d in bs.dates]
    columns = _columns(crm, titles)
    totals = {s: [bs.total(s, i) for i in range(n)] for s in ("asset", "liability", "equity")}
    asset_rows, asset_raw = _figure_rows(crm, bs.sections["asset"], cur, "asset")
    rows: list[dict[str, Any]] = []
    raw: list[dict[str, Any]] = []
    for section in ("liability", "equity"):
        figures = list(bs.sections[section])
        if section == "equity":
            figures.append(bs.result)
            if any(bs.earlier_result.amounts):
                figures.append(bs.earlier_result)
        shown, kept = _figure_rows(crm, figures, cur, section)
        rows.append({"code": "", "name": _heading(crm, section).upper(), "_strong": True})
        rows.extend(shown)
        raw.extend(kept)
        rows.append({**_total_row(crm, crm.t("Total {section}", section=_heading(
            crm, section).lower()), totals[section], cur), "_strong": True})
    both = [totals["liability"][i] + totals["equity"][i] for i in range(n)]
    summary = []
    for i in range(n):
        difference = bs.difference(i)
        state = crm.t("yes") if difference == 0 else crm.t(
            "NO: assets differ by {amount}", amount=_show(crm, difference, cur))
        summary.append((crm.t("Balanced on {date}", date=titles[i]), state))
    all_figures = [f for s in bs.sections.values() for f in s]
    return Report(
        name=name, title=crm.t("Balance sheet"),
        subtitle=crm.t("as of {date}", date=titles[0]) + (
            " " + crm.t("compared with {date}", date=titles[1]) if compare else ""),
        columns=columns,
        sections=(
            ReportSection(asset_rows, asset_raw, heading=_heading(crm, "asset"),
                          totals=_total_row(crm, crm.t("Total assets"), totals["asset"], cur)),
            ReportSection(rows, raw, heading=crm.t("Liabilities and equity"),
                          totals=_total_row(crm, crm.t("Total liabilities and equity"), both,
                                            cur)),
        ),
        summary=tuple(summary),
        notes=tuple(_unmapped_note(crm, all_figures)),
    )


def _period_title(crm: CRM, since: dt.date, until: dt.date) -> str:
    if since.month == 1 and since.day == 1 and (until.month, until.day) == (12, 31) \
            and since.year == until.year:
        return crm.t("year {year}", year=since.year)
    return f"{_day(crm, since)} – {_day(crm, until)}"


def income_statement(crm: CRM, since: dt.date, until: dt.date, *, compare: bool = False,
                     name: str = "income-statement") -> Report:
    """The income statement from ``since`` to ``until`` as a report (with last year's column)."""
    stmt = income_statement_figures(crm, since, until, compare=compare)
    cur, n = stmt.currency, len(stmt.periods)
    titles = [_period_title(crm, s, u) for s, u in stmt.periods]
    sections = []
    for section, total_label in (("income", "Total income"), ("expense", "Total expenses")):
        rows, raw = _figure_rows(crm, stmt.sections[section], cur, section)
        sections.append(ReportSection(
            rows, raw, heading=_heading(crm, section),
            totals=_total_row(crm, crm.t(total_label),
                              [stmt.total(section, i) for i in range(n)], cur)))
    results = [stmt.result(i) for i in range(n)]
    label = crm.t("Result (income less expenses)")
    result_row = _total_row(crm, label, results, cur)
    result_raw = {"section": "result", "code": "", "name": label,
                  **{k: _amount(crm, u, cur) for k, u in zip(_amount_keys(n), results,
                                                              strict=True)}}
    sections.append(ReportSection([{**result_row, "_strong": True}], [result_raw],
                                  heading=crm.t("Result")))
    all_figures = [f for s in stmt.sections.values() for f in s]
    return Report(
        name=name, title=crm.t("Income statement"),
        subtitle=titles[0] + (" " + crm.t("compared with {period}", period=titles[1])
                              if compare else ""),
        columns=_columns(crm, titles), sections=tuple(sections),
        summary=((label, _show(crm, results[0], cur)),),
        summary_values=((label, _amount(crm, results[0], cur)),),
        notes=tuple(_unmapped_note(crm, all_figures)),
    )


def changes_in_equity(crm: CRM, since: dt.date, until: dt.date, *,
                      name: str = "equity-changes") -> Report:
    """The statement of changes in equity from ``since`` to ``until`` as a report."""
    movements, result = changes_in_equity_figures(crm, since, until)
    cur = crm.currency
    every = [*movements, result]
    rows, raw = [], []
    for m in every:
        line_name = m.line.name if m.line.mapped else \
            crm.t("{kind} (not on the chart)", kind=m.line.code)
        values = {"opening": m.opening, "additions": m.additions,
                  "deductions": m.deductions, "closing": m.closing}
        rows.append({"code": m.line.code if m.line.mapped else "", "name": line_name,
                     **{k: _show(crm, v, cur) for k, v in values.items()}})
        raw.append({"code": m.line.code if m.line.mapped else "", "name": line_name,
                    **{k: _amount(crm, v, cur) for k, v in values.items()}})
    totals = {"code": "", "name": crm.t("Total equity")}
    for key in ("opening", "additions", "deductions", "closing"):
        totals[key] = _show(crm, sum(getattr(m, key) for m in every), cur)
    columns = (ReportColumn("code", crm.t("Code"), "L", 0.8),
               ReportColumn("name", crm.t("Account"), "L", 2.6),
               ReportColumn("opening", crm.t("Opening {date}", date=_day(crm, since)), "R", 1.3),
               ReportColumn("additions", crm.t("Additions"), "R", 1.2),
               ReportColumn("deductions", crm.t("Deductions"), "R", 1.2),
               ReportColumn("closing", crm.t("Closing {date}", date=_day(crm, until)), "R", 1.3))
    return Report(
        name=name, title=crm.t("Statement of changes in equity"),
        subtitle=_period_title(crm, since, until), columns=columns,
        sections=(ReportSection(rows, raw, totals=totals),),
        notes=tuple(_unmapped_note(crm, [Figure(m.line, ()) for m in movements])),
        landscape=True,
    )


# -- the reports as builders (hook dyncrm_reports) -----------------------------------


def _period(options: ReportOptions) -> tuple[dt.date, dt.date]:
    if options.year is not None:
        return year_period(options.year)
    return options.since, options.until


def report_builders(names: dict[str, str] | None = None, *, permission: str = PERMISSION
                    ) -> list[ReportBuilder]:
    """The three statements as :class:`~dyncrm.reports.ReportBuilder` values.

    A deployment's report plugin returns them from ``dyncrm_reports`` under its
    own names, e.g. ``report_builders({"balance_sheet": "neraca",
    "income_statement": "phu", "changes_in_equity": "ekuitas"})``.
    """
    names = {"balance_sheet": "balance-sheet", "income_statement": "income-statement",
             "changes_in_equity": "equity-changes", **(names or {})}
    compare = ReportOption("compare", "Add the previous period's column (a year earlier).",
                           type="flag")

    def bs(crm: CRM, o: ReportOptions) -> Report:
        return balance_sheet(crm, o.as_of, compare=bool(o.get("compare")),
                             name=names["balance_sheet"])

    def pl(crm: CRM, o: ReportOptions) -> Report:
        since, until = _period(o)
        return income_statement(crm, since, until, compare=bool(o.get("compare")),
                                name=names["income_statement"])

    def eq(crm: CRM, o: ReportOptions) -> Report:
        since, until = _period(o)
        return changes_in_equity(crm, since, until, name=names["changes_in_equity"])

    builders: list[tuple[str, str, Callable[..., Report], tuple]] = [
        ("balance_sheet", "Balance sheet (neraca) at the end of a day: assets = liabilities "
         "+ equity.", bs, ("as_of", compare)),
        ("income_statement", "Income statement (perhitungan hasil usaha) of a period or "
         "--year.", pl, ("period", "year", compare)),
        ("changes_in_equity", "Changes in equity over a period or --year.", eq,
         ("period", "year")),
    ]
    return [ReportBuilder(names[key], title, build, permission, options=options)
            for key, title, build, options in builders]


__all__ = ["SECTIONS", "BalanceSheet", "EquityMovement", "Figure", "IncomeStatement",
           "balance_sheet", "balance_sheet_figures", "changes_in_equity",
           "changes_in_equity_figures", "fiscal_year_start", "income_statement",
           "income_statement_figures", "report_builders", "year_back", "year_period"]
