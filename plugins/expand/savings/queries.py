"""Balances, statements, wajib arrears and due items, all derived from the ledger."""

from __future__ import annotations

import datetime as dt

from dyncrm.dates import as_date
from dyncrm.db import prepared
from dyncrm.errors import NotFoundError
from dyncrm.ledger import CREDIT_NORMAL
from dyncrm.money import Money
from dyncrm.values import DueItem
from dyncrm_expand.savings.common import calculator, canonical_product, from_units, settings
from dyncrm_expand.savings.config import PRODUCTS
from dyncrm_expand.savings.values import Statement, StatementLine
from dyncrm_expand.savings.wajib import (
    SETTLEMENT_KIND_PREFIX,
    arrears_units_by_member,
    load_state,
    load_states,
    month_label,
    month_start,
)

_KINDS = tuple(f"savings.{p}" for p in PRODUCTS)


def _balances_sql(dated: bool) -> str:
    """One member's savings balances per kind (and account type), up to ``{p}`` if dated."""
    return ("SELECT a.kind, a.type, SUM(p.amount) FROM account a "
            "JOIN posting p ON p.account_id = a.id"
            + (" JOIN journal_entry e ON e.id = p.entry_id" if dated else "")
            + f" WHERE a.member_id = {{p}} AND a.kind IN ({prepared.marks(len(_KINDS))})"
            + (" AND e.effective_date <= {p}" if dated else "")
            + " GROUP BY a.kind, a.type")


#: One member's savings balances, without and with an ``as_of`` date.
_BALANCES_SQL = {dated: _balances_sql(dated) for dated in (False, True)}


def balance(crm, member_id: int, product: str, *, as_of: dt.date | None = None) -> Money:
    """A member's balance of one product (zero if never used)."""
    return crm.ledger.balance_or_zero(f"savings.{canonical_product(crm, product)}", member_id,
                                      as_of=as_of)


def balances(crm, member_id: int, *, as_of: dt.date | None = None) -> dict[str, Money]:
    """``{"pokok": ..., "wajib": ..., "sukarela": ...}`` for one member, in one query.

    The member's accounts of those kinds are found through the (member, kind)
    index and only their postings are summed; the SQL text is prepared once.
    """
    db = crm.database
    params: list = [int(member_id), *_KINDS]
    if as_of is not None:
        params.append(as_of.isoformat())
    found: dict[str, int] = {}
    for kind, account_type, units in db.execute_sql(
            prepared.sql(db, _BALANCES_SQL[as_of is not None]), params):
        units = int(units or 0)
        found[kind] = found.get(kind, 0) + (-units if account_type in CREDIT_NORMAL else units)
    return {p: from_units(crm, found.get(f"savings.{p}", 0)) for p in PRODUCTS}


def wajib_due(crm, member_id: int, month: dt.date) -> Money:
    """What is still unpaid of a month's simpanan wajib (zero if paid or not owed)."""
    calc = calculator(crm)
    found = load_state(calc, crm.database, member_id)
    if found is None:
        raise NotFoundError("member", member_id)
    return from_units(crm, calc.due_for_month(found[1], month_start(month)))


def wajib_arrears(crm, member_id: int, as_of: dt.date) -> list[tuple[dt.date, Money]]:
    """Unpaid wajib months due on or before ``as_of``, oldest first, as ``(month, amount)``.

    Payments are those effective on or before ``as_of``, allocated to the
    oldest month first.  One indexed query on that member's rows
    (:func:`~dyncrm_expand.savings.wajib.load_state`).
    """
    calc = calculator(crm)
    found = load_state(calc, crm.database, member_id, as_of=as_of)
    if found is None:
        raise NotFoundError("member", member_id)
    return [(m, from_units(crm, u)) for m, u in calc.arrears(found[1], as_of)]


def arrears_by_member(crm, as_of: dt.date) -> dict[int, Money]:
    """Wajib arrears of every active member who has some, ``{member_id: amount}``.

    Set-based: a fixed handful of grouped queries whatever the number of
    members (for reports and the payroll deduction list).
    """
    calc = calculator(crm)
    out = {}
    for member_id, state in load_states(calc, as_of=as_of).items():
        units = calc.arrears_units(state, as_of)
        if units:
            out[member_id] = from_units(crm, units)
    return out


def _report_sums_sql() -> str:
    """Per member: the natural balance of each savings kind as of ``{p}`` (``NULL`` for a
    kind without postings), then the sums of the ``savings.wajib`` and ``savings.pokok``
    postings outside a leaving settlement (``{p}`` pattern), as posted.

    The postings are summed per account first, in the order the accounts are visited
    (an account's postings come together, so nothing is sorted for that); only the
    per-account sums are then grouped by member.
    """
    credit = ", ".join(f"'{t}'" for t in sorted(CREDIT_NORMAL))
    natural = ", ".join(
        f"SUM(CASE WHEN s.kind = '{kind}' THEN CASE WHEN s.account_type IN ({credit}) "
        "THEN -s.units ELSE s.units END END)" for kind in _KINDS)
    kept = ", ".join(f"SUM(CASE WHEN s.kind = '{kind}' THEN s.kept END)"
                     for kind in ("savings.wajib", "savings.pokok"))
    return (f"SELECT s.member_id, {natural}, {kept} FROM ("
            "SELECT a.member_id AS member_id, a.kind AS kind, a.type AS account_type, "
            "SUM(p.amount) AS units, SUM(CASE WHEN e.kind LIKE {p} THEN 0 ELSE p.amount END) "
            "AS kept FROM posting p JOIN account a ON a.id = p.account_id "
            "JOIN journal_entry e ON e.id = p.entry_id "
            f"WHERE a.kind IN ({prepared.marks(len(_KINDS))}) AND a.member_id IS NOT NULL "
            "AND e.effective_date <= {p} GROUP BY a.id, a.member_id, a.kind, a.type) s "
            "GROUP BY s.member_id")


_REPORT_SUMS_SQL = _report_sums_sql()


def balances_and_arrears(crm, as_of: dt.date) -> dict[int, tuple[dict[str, int], int]]:
    """Every member's balances and wajib arrears on ``as_of``, for a savings report:
    ``{member_id: ({"savings.pokok": units, …}, wajib arrears units)}``, natural
    balances in minor units of the kinds the member has postings in; arrears only for
    active members (as :func:`arrears_by_member`).  Members with neither are left out.

    Two statements whatever the number of members: one grouped pass over the savings
    postings gives both the balances and the wajib and pokok paid (settlements
    excluded), one row per member; the other reads the members' obligations
    (:func:`~dyncrm_expand.savings.wajib.arrears_units_by_member`).
    """
    db = crm.database
    balances: dict[int, dict[str, int]] = {}
    paid: dict[int, tuple[int, int]] = {}
    kinds = _KINDS
    for member_id, *sums in db.execute_sql(
            prepared.sql(db, _REPORT_SUMS_SQL),
            [SETTLEMENT_KIND_PREFIX + "%", *kinds, as_of.isoformat()]):
        *natural, wajib, pokok = sums
        balances[member_id] = {kind: int(units) for kind, units in zip(kinds, natural,
                                                                        strict=True)
                               if units is not None}
        if wajib is not None or pokok is not None:
            paid[member_id] = (int(wajib or 0), int(pokok or 0))
    arrears = arrears_units_by_member(calculator(crm), as_of=as_of, paid=paid)
    out: dict[int, tuple[dict[str, int], int]] = {}
    for member_id, found in balances.items():
        out[member_id] = (found, arrears.get(member_id, 0))
    for member_id, units in arrears.items():
        if member_id not in out:
            out[member_id] = ({}, units)
    return out


def wajib_paid_on_time(crm, year: int) -> frozenset[int]:
    """Active members who paid every wajib month of ``year`` they owed by its due date.

    A month counts as on time when the member's wajib paid by its due date
    covers it and every month before it.  Members who owed no month that year
    are left out.  Set-based (rewards use it at year end).
    """
    from peewee import fn

    from dyncrm.db.models import Account, JournalEntry, Posting
    from dyncrm_expand.savings.wajib import SETTLEMENT_KIND_PREFIX

    calc = calculator(crm)
    year_end = dt.date(year, 12, 31)
    states = load_states(calc, as_of=year_end)
    rows = (Posting.select(Account.member, JournalEntry.effective_date,
                           fn.SUM(Posting.amount).alias("units"))
            .join(Account).switch(Posting).join(JournalEntry)
            .where(Account.kind == "savings.wajib", Account.member.is_null(False),
                   ~JournalEntry.kind.startswith(SETTLEMENT_KIND_PREFIX),
                   JournalEntry.effective_date <= year_end)
            .group_by(Account.member, JournalEntry.effective_date)
            .order_by(Account.member, JournalEntry.effective_date))
    payments: dict[int, list[tuple[dt.date, int]]] = {}
    for row in rows.dicts().iterator():
        payments.setdefault(row["member"], []).append(
            (as_date(row["effective_date"]), -int(row["units"] or 0)))
    on_time = set()
    for member_id, state in states.items():
        owed = calc.months(state, due_until=year_end)
        this_year = [m for m in owed if m[0].year == year]
        if not this_year:
            continue
        cumulative = sum(units for month, _, units in owed if month.year < year)
        paid = payments.get(member_id, [])
        ok = True
        for _month, due, units in this_year:
            cumulative += units
            if sum(u for day, u in paid if day <= due) < cumulative:
                ok = False
                break
        if ok:
            on_time.add(member_id)
    return frozenset(on_time)


def statement(crm, member_id: int, product: str, year: int | None = None) -> Statement:
    """A member's movements on ``product`` (in ``year``, or ever) with running balances."""
    canonical = canonical_product(crm, product)
    since = dt.date(year, 1, 1) if year else None
    until = dt.date(year, 12, 31) if year else None
    code = f"savings.{canonical}:m{member_id}"
    zero = Money.zero(crm.currency)
    from dyncrm.db.models import Account

    if not Account.select().where(Account.code == code).exists():
        crm.member_row(member_id)  # a clear NotFoundError for unknown members
        return Statement(member_id=member_id, product=canonical, since=since, until=until,
                         opening=zero, lines=(), closing=zero)
    raw = crm.ledger.statement(code, since=since, until=until)
    opening = (crm.ledger.balance(code, as_of=since - dt.timedelta(days=1))
               if since else zero)
    lines = tuple(StatementLine(date=r["date"], entry_id=r["entry"], kind=r["kind"],
                                memo=r["memo"], amount=r["amount"], balance=r["balance"],
                                key=r["key"]) for r in raw)
    closing = lines[-1].balance if lines else opening
    return Statement(member_id=member_id, product=canonical, since=since, until=until,
                     opening=opening, lines=lines, closing=closing)




def due_items(crm, on: dt.date) -> list[DueItem]:
    """Unpaid pokok and the wajib months due around ``on`` for active members.

    Wajib months falling due from ``reminder_lookback_days`` before ``on`` to
    ``reminder_lookahead_days`` after it, still unpaid (prepayments count),
    key ``wajib:<member>:<YYYY-MM>``; unpaid pokok, key ``pokok:<member>``.
    Set-based: one load for every member.
    """
    cfg = settings(crm)
    calc = calculator(crm)
    lo = on - dt.timedelta(days=cfg.reminder_lookback_days)
    hi = on + dt.timedelta(days=cfg.reminder_lookahead_days)
    states = load_states(calc)
    items: list[DueItem] = []
    wajib_name, pokok_name = cfg.wajib.name, cfg.pokok.name
    pokok_days = dt.timedelta(days=cfg.pokok.due_days)
    amounts: dict[int, Money] = {}  # Money is immutable: one per distinct amount
    labels: dict[dt.date, str] = {}
    for member_id, state in states.items():
        if state.start_on is None:
            continue
        pokok_units = calc.pokok_unpaid(state)
        if pokok_units:
            amount = amounts.get(pokok_units) or amounts.setdefault(
                pokok_units, from_units(crm, pokok_units))
            items.append(DueItem(
                key=f"pokok:{member_id}", kind="savings.pokok", member_id=member_id,
                due_on=state.start_on + pokok_days, amount=amount,
                description=pokok_name,
                context={"product": "pokok", "product_name": pokok_name}))
        for month, due, units in calc.unpaid_due_between(state, lo, hi):
            amount = amounts.get(units) or amounts.setdefault(units, from_units(crm, units))
            label = labels.get(month) or labels.setdefault(month, month_label(month))
            items.append(DueItem(
                key=f"wajib:{member_id}:{label}", kind="savings.wajib", member_id=member_id,
                due_on=due, amount=amount,
                description=f"{wajib_name} for {label}",
                context={"product": "wajib", "product_name": wajib_name, "month": label}))
    return items


def monthly_wajib(crm, member_id: int, month: dt.date) -> Money | None:
    """The simpanan wajib an active member owes for ``month`` by schedule (paid or not)."""
    calc = calculator(crm)
    found = load_state(calc, crm.database, member_id)
    if found is None or found[0] != "active":
        return None
    first = month_start(month)
    owed = calc.months(found[1], through_month=first)
    if not owed or owed[-1][0] != first:
        return None
    return from_units(crm, owed[-1][2])


