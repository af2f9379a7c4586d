"""Interest on simpanan sukarela (jasa simpanan), computed and posted month by month.

Settings: ``[plugins."expand.savings".sukarela.interest]`` (see
:class:`~dyncrm_expand.savings.config.SukarelaInterest`).  For a month ``M``::

    balance of day d  = the member's sukarela balance at the end of day d
                        (every entry dated on or before d, except M's own interest)
    minimum           = min over the days of M of the balance of day d
    average_daily     = (sum over the days of M of the balance of day d) / days in M
    interest (gross)  = floor(basis balance × rate / 100 / 12)        to the rupiah
    PPh               = floor(gross × pph_rate / 100)  if gross > pph_threshold, else 0
    net               = gross − PPh

A balance below zero counts as zero.  The month's interest is one entry per member
(kind ``savings.interest``, key ``savings.interest:<YYYY-MM>:<member id>``, dated
the month's last day): ``expense.savings_interest`` debited with the gross,
the member's ``savings.sukarela`` credited with the net and
``payable.tax.pph_savings_interest`` with the PPh.  Only members active when the
interest is posted get it (a leaving member's savings are already settled).

Posting a month is one action keyed ``savings.interest:<YYYY-MM>``, written
set-based through ``crm.ledger.post_many``: running it again posts nothing (the
scheduled job ``savings.interest`` does it on any day of the following month,
``dyncrm run-due``).  A deposit back-dated into a month after its interest was
posted does not change that interest.
"""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction
from typing import TYPE_CHECKING

import attrs
from peewee import fn

from dyncrm.dates import as_date
from dyncrm.db.models import Account, JournalEntry, Member, Posting
from dyncrm.errors import ValidationError
from dyncrm.ledger import EntrySpec
from dyncrm.money import from_minor
from dyncrm.values import Actor, Leg

from .wajib import month_label

if TYPE_CHECKING:
    from dyncrm.app import CRM

KIND = "savings.interest"
SUKARELA = "savings.sukarela"
EXPENSE_ACCOUNT = "expense.savings_interest"
TAX_ACCOUNT = "payable.tax.pph_savings_interest"
PERMISSION = "savings.interest"


@attrs.frozen
class InterestLine:
    """One member's interest of a month (amounts in minor units)."""

    member_id: int
    number: str
    name: str
    balance: int | Fraction  # the basis balance: lowest, or the exact average
    gross: int
    tax: int

    @property
    def net(self) -> int:
        """What the member's sukarela receives: the interest less the PPh withheld."""
        return self.gross - self.tax


@attrs.frozen
class InterestMonth:
    """A month's interest: the lines, and (after posting) what was written."""

    month: dt.date
    basis: str
    lines: tuple[InterestLine, ...]
    posted: int = 0
    replayed: bool = False

    @property
    def gross(self) -> int:
        """All members' interest, before PPh."""
        return sum(x.gross for x in self.lines)

    @property
    def tax(self) -> int:
        """All PPh withheld."""
        return sum(x.tax for x in self.lines)


def settings(crm: CRM):
    """The interest settings of ``expand.savings``."""
    return crm.plugin_config("expand.savings").sukarela.interest


def month_end(month: dt.date) -> dt.date:
    """The last day of ``month``'s month."""
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _floor(x: Fraction) -> int:
    return x.numerator // x.denominator


def basis_balance(opening: int, moves: dict[int, int], days: int, basis: str
                  ) -> int | Fraction:
    """The month's basis balance from the balance brought forward and each day's net
    movement (``{day of month: minor units}``): the lowest end-of-day balance, or
    the average of the end-of-day balances (exact).  Below zero counts as zero."""
    balance, lowest, total = opening, None, 0
    for day in range(1, days + 1):
        balance += moves.get(day, 0)
        total += max(balance, 0)
        lowest = balance if lowest is None else min(lowest, balance)
    if basis == "minimum":
        return max(lowest or 0, 0)
    return total // days if total % days == 0 else Fraction(total, days)


def interest_of(balance: int | Fraction, rate, pph_rate, threshold_units: int
                ) -> tuple[int, int]:
    """``(gross, PPh)`` of a month for a basis balance, in minor units."""
    gross = _floor(Fraction(balance) * Fraction(rate) / 1200) if balance > 0 else 0
    tax = _floor(gross * Fraction(pph_rate) / 100) if gross > threshold_units else 0
    return gross, tax


def _movements(crm: CRM, first: dt.date, last: dt.date) -> dict[int, dict[int, int]]:
    """Each member's net sukarela movement per day of the month (natural sign), the
    month's own interest left out.  One grouped query."""
    query = (Posting.select(Account.member, JournalEntry.effective_date, fn.SUM(Posting.amount))
             .join(Account).switch(Posting).join(JournalEntry)
             .where(Account.kind == SUKARELA, Account.member.is_null(False),
                    JournalEntry.effective_date >= first, JournalEntry.effective_date <= last,
                    JournalEntry.kind != KIND)
             .group_by(Account.member, JournalEntry.effective_date))
    out: dict[int, dict[int, int]] = {}
    for member, day, units in crm.database.execute(query):
        # a liability: a credit (deposit) is a negative posting
        out.setdefault(member, {})[as_date(day).day] = -int(units or 0)
    return out


def compute_month(crm: CRM, month: dt.date) -> InterestMonth:
    """Every active member's interest on sukarela for ``month`` (not posted)."""
    conf = settings(crm)
    first, last = month.replace(day=1), month_end(month)
    if not conf.rate:
        return InterestMonth(month=first, basis=conf.basis, lines=())
    exp = crm.ledger.exponent(crm.currency)
    threshold = int(conf.pph_threshold * 10 ** exp)
    opening = {m: kinds.get(SUKARELA, 0) for m, kinds in crm.ledger.balances_by_member(
        [SUKARELA], as_of=first - dt.timedelta(days=1)).items()}
    moves = _movements(crm, first, last)
    candidates = sorted(set(opening) | set(moves))
    people = {}
    for i in range(0, len(candidates), 500):
        people.update({mid: (number or f"#{mid}", name) for mid, number, name in
                       Member.select(Member.id, Member.number, Member.name)
                       .where(Member.id.in_(candidates[i:i + 500]), Member.stage == "active")
                       .tuples()})
    lines = []
    for mid in sorted(people, key=lambda m: (people[m][0], m)):
        balance = basis_balance(opening.get(mid, 0), moves.get(mid, {}), last.day, conf.basis)
        gross, tax = interest_of(balance, conf.rate, conf.pph_rate, threshold)
        if gross:
            lines.append(InterestLine(member_id=mid, number=people[mid][0],
                                      name=people[mid][1], balance=balance, gross=gross,
                                      tax=tax))
    return InterestMonth(month=first, basis=conf.basis, lines=tuple(lines))


def post_month(crm: CRM, actor: Actor, month: dt.date) -> InterestMonth:
    """Post ``month``'s interest: one action, one entry per member, re-run safe.

    Refused before the month is over (its last day must be before today) and
    when no rate is set.  A second run says it was done and writes nothing.
    """
    first, last = month.replace(day=1), month_end(month)
    label = month_label(first)
    if not settings(crm).rate:
        raise ValidationError('no interest on simpanan sukarela is set: give rate under '
                              '[plugins."expand.savings".sukarela.interest]', field="rate")
    if last >= crm.today():
        raise ValidationError(f"the interest of {label} is posted after the month is over "
                              f"(from {(last + dt.timedelta(days=1)).isoformat()})",
                              field="month")
    with crm.action("savings.interest", actor, key=f"{KIND}:{label}",
                    permission=PERMISSION) as act:
        if act.replayed:
            return InterestMonth(month=first, basis=act.previous.get("basis", ""), lines=(),
                                 posted=0, replayed=True)
        computed = compute_month(crm, first)
        lines = computed.lines
        ledger = crm.ledger
        expense = ledger.open_account(EXPENSE_ACCOUNT, type="expense",
                                      name="Beban jasa simpanan sukarela")
        tax_account = ledger.open_account(TAX_ACCOUNT, type="liability",
                                          name="Utang PPh final jasa simpanan") \
            if any(x.tax for x in lines) else None
        targets = ledger.open_accounts(SUKARELA, [x.member_id for x in lines],
                                       type="liability") if lines else {}
        exp = ledger.exponent(crm.currency)

        def money(units: int):
            return from_minor(units, crm.currency, exp)

        specs = []
        for x in lines:
            legs = [Leg(expense, money(x.gross)), Leg(targets[x.member_id], -money(x.net))]
            if x.tax:
                legs.append(Leg(tax_account, -money(x.tax)))
            balance = x.balance if isinstance(x.balance, int) else \
                f"{x.balance.numerator}/{x.balance.denominator}"
            specs.append(EntrySpec(
                legs=tuple(legs), kind=KIND, actor=actor.username,
                key=f"{KIND}:{label}:{x.member_id}", on=last, member_id=x.member_id,
                memo=f"Jasa simpanan sukarela {label}"
                     + (f", PPh {crm.format_money(money(x.tax))} dipotong" if x.tax else ""),
                meta={"month": label, "basis": computed.basis, "balance": balance,
                      "gross": x.gross, "tax": x.tax}))
        results = ledger.post_many(specs)
        posted = sum(1 for r in results if not r.replayed)
        act.done(month=label, basis=computed.basis, members=posted,
                 gross=computed.gross, tax=computed.tax)
    return attrs.evolve(computed, posted=posted)


def previous_month(day: dt.date) -> dt.date:
    """The first day of the month before ``day``'s."""
    return (day.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def scheduled_job(crm: CRM, day: dt.date) -> str:
    """``dyncrm run-due``: post the previous month's interest (once; later runs say so)."""
    if not settings(crm).rate:
        return "no interest on simpanan sukarela is set"
    month = previous_month(day)
    if month_end(month) >= crm.today():
        return f"the interest of {month_label(month)} waits until the month is over"
    done = post_month(crm, Actor.system(), month)
    if done.replayed:
        return f"interest of {month_label(month)} already posted"
    exp = crm.ledger.exponent(crm.currency)
    gross = crm.format_money(from_minor(done.gross, crm.currency, exp))
    tax = crm.format_money(from_minor(done.tax, crm.currency, exp))
    return f"interest of {month_label(month)} posted for {done.posted} members: {gross} " \
           f"(PPh {tax})"
