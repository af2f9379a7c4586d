"""Who shares in a year's SHU, and with what capital and transactions.

Set-based: one query for the eligible members and one grouped query per basis
(twelve for a monthly average, one per business unit), whatever the number of
members.
"""

from __future__ import annotations

import calendar
import datetime as dt
from fractions import Fraction
from typing import TYPE_CHECKING

from peewee import Case, fn

from dyncrm.db.models import Account, JournalEntry, Member, Posting
from dyncrm.ledger import CREDIT_NORMAL
from dyncrm.periods import CLOSING_KINDS

from .calc import MemberBasis
from .rules import Rules

if TYPE_CHECKING:
    from dyncrm.app import CRM

CAPITAL_KINDS = ("savings.pokok", "savings.wajib")
SUKARELA = "savings.sukarela"
INTEREST = "income.loan_interest"
PRINCIPAL = "loans.principal"
DISBURSEMENT_KINDS = ("loans.disbursement", "loans.disbursement.reversal")


def year_bounds(year: int) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal year ``year`` (the calendar year, tutup buku 31 Dec)."""
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def eligible_members(crm: CRM, year: int, rules: Rules) -> list[tuple[int, str, str]]:
    """``(id, number, name)`` of the members who share in ``year``'s SHU, by number.

    Members active at the close of the year (joined on or before 31 December and
    not left by then); applicants and those who left during the year only when
    the rules include them.
    """
    start, end = year_bounds(year)
    active = (Member.joined_on.is_null(False) & (Member.joined_on <= end)
              & (Member.left_on.is_null() | (Member.left_on > end))
              & Member.stage.not_in(["applicant", "rejected"]))
    condition = active
    if rules.include_leavers:
        condition |= (Member.left_on >= start) & (Member.left_on <= end)
    if rules.include_applicants:
        close_utc = (dt.datetime(year + 1, 1, 1, tzinfo=crm.tz)
                     .astimezone(dt.UTC).replace(tzinfo=None))
        condition |= ((Member.created_at < close_utc) & Member.stage.not_in(["rejected"])
                      & (Member.joined_on.is_null() | (Member.joined_on > end)))
    query = (Member.select(Member.id, Member.number, Member.name).where(condition)
             .order_by(Member.number, Member.id))
    return [(mid, number or f"#{mid}", name) for mid, number, name in crm.database.execute(query)]


def month_ends(year: int) -> list[dt.date]:
    """The last day of each month of ``year``."""
    return [dt.date(year, m, calendar.monthrange(year, m)[1]) for m in range(1, 13)]


def natural_by_member(crm: CRM, kinds: list[str], *, as_of: dt.date,
                      since: dt.date | None = None) -> dict[int, int]:
    """Each member's natural balance over the accounts of ``kinds``, summed across the
    kinds (what :meth:`Ledger.balances_by_member` gives, added up per member).

    One grouped query, read as plain rows: one row per member rather than one per
    member and kind.  Year-end closing entries are left out, so a member's
    ``income.loan_interest`` of a closed year still counts what they paid.
    """
    natural = Case(None, [(Account.type.in_(sorted(CREDIT_NORMAL)), Posting.amount * -1)],
                   Posting.amount)
    query = (Posting.select(Account.member, fn.SUM(natural))
             .join(Account).switch(Posting).join(JournalEntry)
             .where(Account.kind.in_(kinds), Account.member.is_null(False),
                    JournalEntry.effective_date <= as_of,
                    # a closed year's interest stays what the members paid
                    JournalEntry.kind.not_in(CLOSING_KINDS))
             .group_by(Account.member))
    if since is not None:
        query = query.where(JournalEntry.effective_date >= since)
    return {member: int(units or 0) for member, units in crm.database.execute(query)}


def capital_by_member(crm: CRM, year: int, rules: Rules) -> dict[int, int | Fraction]:
    """Each member's capital for jasa modal, in minor units (exact).

    Whole units (``int``) for the year-end balance; a monthly average is a
    Fraction only where it is not whole.
    """
    kinds = list(CAPITAL_KINDS) + ([SUKARELA] if rules.capital_sukarela else [])
    if rules.capital_average == "monthly":
        sums: dict[int, int] = {}
        for day in month_ends(year):
            for member, units in natural_by_member(crm, kinds, as_of=day).items():
                sums[member] = sums.get(member, 0) + units
        return {m: units // 12 if units % 12 == 0 else Fraction(units, 12)
                for m, units in sums.items()}
    _, end = year_bounds(year)
    return natural_by_member(crm, kinds, as_of=end)


def basis_by_member(crm: CRM, year: int, basis: str, *, unit: str = "") -> dict[int, int]:
    """Each member's business with the cooperative in ``year`` on ``basis``, minor units.

    ``interest``: jasa pinjaman paid (the members' ``income.loan_interest``);
    ``principal``: loan principal disbursed (net of reversed disbursements);
    ``purchases``: purchases imported for ``unit`` (``dyncrm shu purchases import``).
    One grouped query each.
    """
    start, end = year_bounds(year)
    if basis == "interest":
        return natural_by_member(crm, [INTEREST], since=start, as_of=end)
    if basis == "purchases":
        from ..models import ShuPurchase

        query = (ShuPurchase.select(ShuPurchase.member, fn.SUM(ShuPurchase.amount))
                 .where(ShuPurchase.year == year, ShuPurchase.unit == unit)
                 .group_by(ShuPurchase.member))
        return {member: int(units or 0) for member, units in crm.database.execute(query)}
    query = (Posting.select(Account.member, fn.SUM(Posting.amount).alias("units"))
             .join(Account).switch(Posting).join(JournalEntry)
             .where(Account.kind == PRINCIPAL, Account.member.is_null(False),
                    JournalEntry.kind.in_(list(DISBURSEMENT_KINDS)),
                    JournalEntry.effective_date >= start, JournalEntry.effective_date <= end)
             .group_by(Account.member))
    return {member: int(units or 0) for member, units in crm.database.execute(query)}


def transactions_by_member(crm: CRM, year: int, rules: Rules) -> dict[int, int]:
    """Each member's transactions for the (single) jasa usaha pool, in minor units."""
    return basis_by_member(crm, year, rules.transactions)


def units_by_member(crm: CRM, year: int, rules: Rules) -> dict[str, dict[int, int]]:
    """Per business unit of the year: each member's transactions on the unit's basis."""
    return {unit: basis_by_member(crm, year, basis, unit=unit)
            for unit, (basis, _) in rules.units.items()}


def gather_bases(crm: CRM, year: int, rules: Rules) -> list[MemberBasis]:
    """Every eligible member with capital and transactions (zero when none).

    With business units each member also carries the transactions on every
    unit's basis (``units``), and ``transactions`` is their sum.
    """
    members = eligible_members(crm, year, rules)
    capital = capital_by_member(crm, year, rules)
    if rules.units:
        per_unit = units_by_member(crm, year, rules)
        bases = []
        for mid, number, name in members:
            units = {u: values.get(mid, 0) for u, values in per_unit.items()}
            bases.append(MemberBasis(member_id=mid, number=number, name=name,
                                     capital=capital.get(mid, 0),
                                     transactions=sum(units.values()), units=units))
        return bases
    txns = transactions_by_member(crm, year, rules)
    return [MemberBasis(member_id=mid, number=number, name=name,
                        capital=capital.get(mid, 0), transactions=txns.get(mid, 0))
            for mid, number, name in members]
