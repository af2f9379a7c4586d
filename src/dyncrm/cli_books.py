"""``dyncrm books`` and the ledger's views: chart, statements, entries, an account's ledger.

- ``dyncrm books chart`` / ``books check``: the chart of accounts and the check
  that every account kind in use is on a line (exit 1 naming those that are not);
- ``dyncrm books balance-sheet`` / ``income-statement`` / ``equity-changes``:
  the financial statements as a table, ``--csv`` and ``--pdf`` (``--compare``
  adds the previous year's column);
- ``dyncrm ledger entries``: journal entries searched by date, account, member,
  reference, plugin and kind (streamed; ``--csv`` for all of them);
- ``dyncrm ledger account``: an account's, chart line's or kind's ledger with a
  running balance;
- ``dyncrm ledger trial-balance``: the trial balance on any date, per kind,
  chart line or account.

The ``books`` group is shared: the closing of periods adds ``close``,
``reopen`` and ``periods`` to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import click

from dyncrm import output, params
from dyncrm.cli import cli, examples, json_option, ledger, pass_actor

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.books.journal import JournalLine
    from dyncrm.reports import Report
    from dyncrm.values import Actor

VIEW = "ledger.view"


def _day(value: Any) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _files(f):
    f = json_option(f)
    f = click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False),
                     help="Write a printable PDF here.")(f)
    return click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
                        help="Write the rows as CSV here.")(f)


def _emit(crm: CRM, report: Report, csv_path: str | None, pdf_path: str | None,
          as_json: bool) -> None:
    from dyncrm.books import render

    if csv_path:
        click.echo(f"wrote {render.write_csv(report, csv_path)}", err=True)
    if pdf_path:
        click.echo(f"wrote {render.write_pdf(crm, report, pdf_path)}", err=True)
    if as_json:
        output.emit(output.report_data(report))
    else:
        render.print_report(report)


def _period(crm: CRM, year: int | None, since: Any, until: Any) -> tuple[dt.date, dt.date]:
    from dyncrm.books.statements import year_period
    from dyncrm.errors import ValidationError

    if year is not None:
        if since or until:
            raise ValidationError("give --year or --from/--to, not both", field="year")
        return year_period(year)
    until = _day(until) or crm.today()
    return _day(since) or until.replace(month=1, day=1), until


# --- books --------------------------------------------------------------------------


@cli.group("books")
def books() -> None:
    """The treasurer's books: chart of accounts, financial statements, closing periods."""


@examples("dyncrm --as bendahara books chart")
@books.command("chart")
@json_option
@pass_actor
def books_chart(crm: CRM, actor: Actor, as_json: bool) -> None:
    """The chart of accounts: each line's code, name, section and the account kinds it holds."""
    from dyncrm.books.chart import chart

    crm.require(actor, VIEW)
    found = chart(crm)
    rows = [{"code": line.code, "name": line.name, "section": line.section,
             "kinds": ", ".join(line.kinds)} for line in found.lines]
    if as_json:
        output.emit({"custom": found.custom,
                     "lines": [{"code": line.code, "name": line.name, "section": line.section,
                                "kinds": list(line.kinds)} for line in found.lines]
                     + [{"code": line.code, "name": line.name, "section": "equity",
                         "kinds": []} for line in (found.result, found.earlier_result)]})
        return
    rows += [{"code": line.code, "name": line.name, "section": "equity",
              "kinds": crm.t("(income less expenses not closed)")}
             for line in (found.result, found.earlier_result)]
    if as_json:
        output.emit({"custom": found.custom, "lines": rows})
        return
    output.table(rows, headers={"code": crm.t("Code"), "name": crm.t("Account"),
                                "section": crm.t("Section"), "kinds": crm.t("Account kinds")})
    if not found.custom:
        click.echo(crm.t("(the plugins' default chart: give the deployment's own in [books])"))


@examples("dyncrm --as bendahara books check")
@books.command("check")
@json_option
@pass_actor
def books_check(crm: CRM, actor: Actor, as_json: bool) -> None:
    """Check that every account kind in use is on a chart line (exit 1 listing those not)."""
    from dyncrm.books.chart import check

    crm.require(actor, VIEW)
    result = check(crm)
    if as_json:
        output.emit({
            "ok": result.ok,
            "unmapped": [{"kind": k.kind, "type": k.ledger_type, "accounts": k.accounts,
                          "section": k.line.section} for k in result.unmapped],
            "not_money": [{"kind": k.kind, "commodity": k.commodity} for k in result.not_money],
            "empty_lines": [line.code for line in result.empty_lines]})
    else:
        if result.unmapped:
            click.echo(crm.t("Account kinds in use that no chart line holds:"))
            output.table([{"kind": k.kind, "type": k.ledger_type, "accounts": k.accounts,
                           "shown under": k.line.section} for k in result.unmapped],
                         align_right=["accounts"])
        else:
            click.echo(crm.t("every account kind in use is on a chart line"))
        if result.not_money:
            click.echo(crm.t("not money, left out of the statements: {kinds}", kinds=", ".join(
                sorted({f"{k.kind} ({k.commodity})" for k in result.not_money}))))
        if result.empty_lines:
            click.echo(crm.t("chart lines holding no account yet: {codes}",
                             codes=", ".join(line.code for line in result.empty_lines)))
    if not result.ok:
        from dyncrm.errors import DyncrmError

        raise DyncrmError(crm.t("account kinds not on the chart of accounts: {kinds} (see: "
                                "dyncrm books check)", kinds=", ".join(
                                    k.kind for k in result.unmapped)))


@examples("dyncrm --as bendahara books balance-sheet --on 2025-12-31")
@books.command("balance-sheet")
@click.option("--as-of", "--on", "on", type=params.DATE,
              help="At the end of this day (default: today).")
@click.option("--compare", is_flag=True, help="Add the same day a year earlier.")
@_files
@pass_actor
def books_balance_sheet(crm: CRM, actor: Actor, on: Any, compare: bool, csv_path: str | None,
                        pdf_path: str | None, as_json: bool) -> None:
    """The balance sheet (neraca): assets = liabilities + equity at the end of a day."""
    from dyncrm.books.statements import balance_sheet

    crm.require(actor, VIEW)
    _emit(crm, balance_sheet(crm, _day(on) or crm.today(), compare=compare), csv_path,
          pdf_path, as_json)


def _period_options(f):
    f = click.option("--to", "until", type=params.DATE, help="Last day (default: today).")(f)
    f = click.option("--from", "since", type=params.DATE,
                     help="First day (default: 1 January of --to's year).")(f)
    return click.option("--year", type=params.YEAR, help="A whole fiscal year.")(f)


@examples("dyncrm --as bendahara books income-statement --year 2025")
@books.command("income-statement")
@_period_options
@click.option("--compare", is_flag=True, help="Add the same period a year earlier.")
@_files
@pass_actor
def books_income_statement(crm: CRM, actor: Actor, year: int | None, since: Any, until: Any,
                           compare: bool, csv_path: str | None, pdf_path: str | None,
                           as_json: bool) -> None:
    """The income statement (perhitungan hasil usaha) of a year or period."""
    from dyncrm.books.statements import income_statement

    crm.require(actor, VIEW)
    first, last = _period(crm, year, since, until)
    _emit(crm, income_statement(crm, first, last, compare=compare), csv_path, pdf_path,
          as_json)


@examples("dyncrm --as bendahara books equity-changes --year 2025")
@books.command("equity-changes")
@_period_options
@_files
@pass_actor
def books_equity_changes(crm: CRM, actor: Actor, year: int | None, since: Any, until: Any,
                         csv_path: str | None, pdf_path: str | None, as_json: bool) -> None:
    """Changes in equity over a year or period: opening, additions, deductions, closing."""
    from dyncrm.books.statements import changes_in_equity

    crm.require(actor, VIEW)
    first, last = _period(crm, year, since, until)
    _emit(crm, changes_in_equity(crm, first, last), csv_path, pdf_path, as_json)


# --- ledger views -------------------------------------------------------------------


def _line_dict(crm: CRM, line: JournalLine, *, money: bool) -> dict[str, Any]:
    def amount(value):
        if value is None:
            return ""
        return crm.format_money(value) if money else value

    row = {"entry": line.entry, "date": line.date.isoformat(), "kind": line.kind,
           "reference": line.key or "", "member": line.member or "", "account": line.account,
           "debit": amount(line.debit), "credit": amount(line.credit), "memo": line.memo}
    if line.balance is not None:
        row["balance"] = crm.format_money(line.balance) if money else line.balance
    return row


def _csv_cell(value: Any) -> Any:
    """A CSV cell: plain amounts and ISO dates, text safe for spreadsheets."""
    value = output.flat(value)
    return "" if value is None else output.spreadsheet_cell(str(value))


def _stream_csv(rows: Iterable[dict[str, Any]], path: str, columns: list[str]) -> int:
    from dyncrm.files import atomic_open

    count = 0
    with atomic_open(path, "w", newline="", encoding="utf-8-sig") as fh:
        import csv

        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({c: _csv_cell(row.get(c)) for c in columns})
            count += 1
    return count


def _stream_json(rows: Iterator[dict[str, Any]]) -> None:
    output.emit(iter(rows))  # streamed row by row inside the list envelope


ENTRY_COLUMNS = ["entry", "date", "kind", "reference", "member", "account", "debit", "credit",
                 "memo"]


@examples("dyncrm --as bendahara ledger entries --member XYZ-2025-00003")
@ledger.command("entries")
@click.option("--from", "since", type=params.DATE, help="Entries on or after this day.")
@click.option("--to", "until", type=params.DATE, help="Entries on or before this day.")
@click.option("--account", metavar="CODE",
              help="With a leg on this account, chart line or account kind.")
@click.option("--member", "member_ref", metavar="MEMBER", help="Concerning this member.")
@click.option("--reference", metavar="TEXT",
              help="Reference or memo containing TEXT, or this receipt number.")
@click.option("--plugin", metavar="NAME", help="Owned by this plugin (expand.loans ...).")
@click.option("--kind", metavar="KIND", help="Of this entry kind and kinds under it.")
@click.option("--limit", type=params.COUNT, help="At most this many entries "
              "(default 200 in the terminal, all with --csv or --json).")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="Write every matching leg as CSV here (streamed).")
@json_option
@pass_actor
def ledger_entries(crm: CRM, actor: Actor, since: Any, until: Any, account: str | None,
                   member_ref: str | None, reference: str | None, plugin: str | None,
                   kind: str | None, limit: int | None, csv_path: str | None,
                   as_json: bool) -> None:
    """Journal entries, leg by leg in date order, found by date, account, member, reference,
    plugin or kind."""
    from dyncrm.books.journal import search

    crm.require(actor, VIEW)
    member_id = crm.member_row(member_ref).id if member_ref else None
    if limit is None and not (csv_path or as_json):
        limit = 200
    lines = search(crm, since=_day(since), until=_day(until), account=account,
                   member_id=member_id, reference=reference, plugin=plugin, kind=kind,
                   limit=limit)
    if csv_path:
        count = _stream_csv((_line_dict(crm, line, money=False) for line in lines), csv_path,
                            ENTRY_COLUMNS)
        click.echo(f"wrote {count} lines to {csv_path}", err=True)
        return
    if as_json:
        _stream_json(_line_dict(crm, line, money=False) for line in lines)
        return
    rows = [_line_dict(crm, line, money=True) for line in lines]
    entries = len({r["entry"] for r in rows})
    output.table(rows, ENTRY_COLUMNS, align_right=["entry", "debit", "credit"],
                 empty=crm.t("no entries"))
    if limit is not None and entries >= limit:
        click.echo(crm.t("(the first {limit} entries; narrow the search or use --csv)",
                         limit=limit))


@examples("dyncrm --as bendahara ledger account cash --from 2025-12-01")
@ledger.command("account")
@click.argument("code", metavar="CODE_OR_LINE")
@click.option("--from", "since", type=params.DATE, help="From this day (balance brought "
              "forward before it).")
@click.option("--to", "until", type=params.DATE, help="Up to this day.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="Write the lines as CSV here (streamed).")
@json_option
@pass_actor
def ledger_account(crm: CRM, actor: Actor, code: str, since: Any, until: Any,
                   csv_path: str | None, as_json: bool) -> None:
    """An account's ledger with a running balance: an account code (savings.wajib:m42),
    a chart line (3-1200) or an account kind (savings.wajib)."""
    from dyncrm.books.journal import account_ledger

    crm.require(actor, VIEW)
    chosen, opening, lines = account_ledger(crm, code, since=_day(since), until=_day(until))
    columns = ["date", "entry", "kind", "reference", "member", "account", "debit", "credit",
               "balance", "memo"]
    if csv_path:
        count = _stream_csv((_line_dict(crm, line, money=False) for line in lines), csv_path,
                            columns)
        click.echo(f"wrote {count} lines to {csv_path}", err=True)
        return
    if as_json:
        output.emit({"account": chosen.label, "opening": opening,
                     "lines": (_line_dict(crm, line, money=False) for line in lines)})
        return
    click.echo(click.style(chosen.label, bold=True))
    click.echo(crm.t("balance brought forward: {amount}", amount=crm.format_money(opening)))
    rows = [_line_dict(crm, line, money=True) for line in lines]
    output.table(rows, columns, align_right=["entry", "debit", "credit", "balance"],
                 empty=crm.t("no entries"))


@examples("dyncrm --as bendahara ledger trial-balance --on 2025-12-31")
@ledger.command("trial-balance")
@click.option("--as-of", "--on", "on", type=params.DATE,
              help="At the end of this day (default: everything posted).")
@click.option("--by", type=click.Choice(["kind", "line", "account"]), default="kind",
              show_default=True, help="One row per account kind, chart line or account.")
@click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
              help="Write the rows as CSV here.")
@json_option
@pass_actor
def ledger_trial_balance(crm: CRM, actor: Actor, on: Any, by: str, csv_path: str | None,
                         as_json: bool) -> None:
    """Debit and credit balances on a date, and the check that postings sum to zero."""
    from dyncrm.books.journal import trial_balance

    crm.require(actor, VIEW)
    tb = trial_balance(crm, on=_day(on), by=by)

    def row(r, money: bool) -> dict[str, Any]:
        def show(value):
            return crm.format_money(value) if money else value
        return {"code": r.code, "name": r.name, "section": r.section, "commodity": r.commodity,
                "debit": show(r.debit) if r.debit.amount else "",
                "credit": show(r.credit) if r.credit.amount else ""}

    columns = ["code", "name", "section", "commodity", "debit", "credit"]
    check = crm.ledger.trial_balance() if on is None else {
        c: int((d.amount - k.amount).scaleb(crm.ledger.exponent(c)))
        for c, (d, k) in tb.totals.items()}
    if csv_path:
        count = _stream_csv((row(r, False) for r in tb.rows), csv_path, columns)
        click.echo(f"wrote {count} rows to {csv_path}", err=True)
        return
    if as_json:
        output.emit({"on": tb.on, "by": by, "accounts": [row(r, False) for r in tb.rows],
                     "totals": [{"commodity": c, "debit": d, "credit": k}
                                for c, (d, k) in tb.totals.items()],
                     "sums": [{"commodity": c, "sum": crm.ledger_money(n, c)}
                              for c, n in check.items()],
                     "balanced": tb.balanced and all(v == 0 for v in check.values())})
        return
    rows = [row(r, True) for r in tb.rows]
    rows += [{"code": crm.t("Total"), "commodity": c, "debit": crm.format_money(d),
              "credit": crm.format_money(k)} for c, (d, k) in tb.totals.items()]
    output.table(rows, columns, align_right=["debit", "credit"])
    ok = tb.balanced and all(v == 0 for v in check.values())
    click.echo("postings balance: " + ("yes" if ok else f"NO {check}"))
