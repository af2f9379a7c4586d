"""``dyncrm books close | reopen | periods``: closing months and years of the books.

Added by the core's own ``dyncrm_register_commands`` (:mod:`dyncrm.periods_hooks`)
to the ``books`` group, beside whatever else that group holds.  Two people
close a period: the first ``close`` proposes, a second person's ``close`` of
the same period approves (four eyes, ``[quorum."books.close"]``).
Reopening takes the same two steps and a reason.  See :mod:`dyncrm.periods`.
"""

from __future__ import annotations

import click

from dyncrm import output, params
from dyncrm.cli import examples, json_option, pass_actor, subgroup
from dyncrm.errors import ValidationError


def _period(month: str | None, year: int | None):
    from dyncrm.periods import Period

    if (month is None) == (year is None):
        raise ValidationError("name one period: --month YYYY-MM or --year YYYY",
                              field="period")
    return Period.parse(month) if month is not None else Period.year(year)


def _period_options(f):
    f = click.option("--year", type=params.YEAR, help="A fiscal year, e.g. 2025.")(f)
    return click.option("--month", metavar="YYYY-MM", help="A month, e.g. 2025-11.")(f)


def _say(as_json: bool, outcome) -> None:
    """What closing or reopening did, for a person or as the JSON action result."""
    if as_json:
        output.emit(outcome, message=outcome.describe(), replayed=outcome.stage == "already")
    else:
        click.echo(outcome.describe())


def register_commands(cli: click.Group) -> None:
    """Add ``close``, ``reopen`` and ``periods`` to the ``books`` group of ``cli``."""
    books = subgroup(cli, "books", help="The books: close and reopen months and years.")

    @examples("dyncrm --as bendahara books close --month 2026-01 --reason \"January "
              "reconciled with the bank\"")
    @books.command("close")
    @_period_options
    @click.option("--reason", default="",
                  help="Why (optional for closing; kept with the period).")
    @json_option
    @pass_actor
    def books_close(crm, actor, month, year, reason, as_json):
        """Propose closing a month or year, or approve another person's proposal.

        Once closed, nothing can be posted dated inside the period.  Closing a
        year closes its open months and posts the closing entries: income and
        expenses to the result of the year.
        """
        from dyncrm.periods import close

        _say(as_json, close(crm, actor, _period(month, year), reason=reason))

    @examples("dyncrm --as ketua books reopen --month 2025-11 --reason \"payroll file of "
              "November arrived late\"",
              run=False)
    @books.command("reopen")
    @_period_options
    @click.option("--reason", required=True, help="Why the period is reopened.")
    @json_option
    @pass_actor
    def books_reopen(crm, actor, month, year, reason, as_json):
        """Propose reopening a closed month or year (with a reason), or approve it."""
        from dyncrm.periods import reopen

        _say(as_json, reopen(crm, actor, _period(month, year), reason=reason))

    @examples("dyncrm --as bendahara books periods --year 2025")
    @books.command("periods")
    @click.option("--year", type=params.YEAR, help="Only the periods of this year.")
    @json_option
    @pass_actor
    def books_periods(crm, actor, year, as_json):
        """The closed (and proposed, reopened) periods: who, when, why, the year's result."""
        from dyncrm.periods import periods

        crm.require(actor, "ledger.view")
        found = periods(crm, year=year)
        if as_json:
            output.emit([{
                "period": p.period, "kind": p.kind, "round": p.round, "status": p.status,
                "first_day": p.first_day, "last_day": p.last_day, "reason": p.reason,
                "proposed_by": p.proposed_by, "approved_by": list(p.approved_by),
                "closed_at": p.closed_at, "entry": p.entry_id,
                "result": None if p.result is None else str(p.result.amount),
                "reopen_reason": p.reopen_reason, "reopened_by": list(p.reopened_by),
                "reopened_at": p.reopened_at} for p in found])
            return
        output.table([{
            "period": p.period + (f" (round {p.round})" if p.round > 1 else ""),
            "status": p.status, "proposed by": p.proposed_by,
            "approved by": ", ".join(p.approved_by), "closed at": p.closed_at or "",
            "result": crm.format_money(p.result) if p.result is not None else "",
            "reason": p.reopen_reason if p.status in ("reopening", "reopened") else p.reason,
        } for p in found], align_right=["result"], empty="(no period closed)")
