"""Journal and ledger views: search entries, an account's ledger, the trial balance.

Every function here reads with a fixed number of queries whatever the size of
the books, and the long lists — entries (:func:`search`), a line's ledger
(:func:`account_ledger`), the trial balance per account — are generators
streaming rows from one query (``.iterator()``), so memory stays flat.

Amounts are :class:`~dyncrm.money.Money`; debits and credits are shown apart
(both positive), as an accountant reads a journal.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import attrs
from peewee import JOIN, SQL, Case, Value, fn

from dyncrm.books.chart import DEBIT_SECTIONS, Chart, ChartLine, chart
from dyncrm.dates import as_date
from dyncrm.db.models import Account, JournalEntry, Member, Posting
from dyncrm.errors import NotFoundError, ValidationError
from dyncrm.money import Money, from_minor

if TYPE_CHECKING:
    from dyncrm.app import CRM

#: How the trial balance groups accounts.
TRIAL_BALANCE_BY = ("kind", "line", "account")


# -- choosing accounts ---------------------------------------------------------------


@attrs.frozen
class AccountSelection:
    """Accounts chosen by a code a person typed: one account, a chart line or a kind.

    ``code`` is the account (``savings.wajib:m42``), ``kinds`` the kinds of a
    chart line or the kind typed; ``section`` decides the sign of balances
    (debit-normal for assets and expenses).
    """

    label: str
    section: str
    code: str | None = None
    kinds: tuple[str, ...] = ()
    commodity: str | None = None
    line: ChartLine | None = None

    @property
    def debit_normal(self) -> bool:
        """Whether balances read positive when debits exceed credits."""
        return self.section in DEBIT_SECTIONS

    def condition(self, account: Any = Account) -> Any:
        """The SQL condition on ``account`` (the model or an alias) choosing these accounts."""
        if self.code is not None:
            return account.code == self.code
        return kind_condition(account.kind, self.kinds)


def kind_condition(field: Any, patterns: Sequence[str]) -> Any:
    """SQL: ``field`` is one of the kinds in ``patterns`` (``prefix.*`` and ``*`` allowed)."""
    exact = [p for p in patterns if not p.endswith("*")]
    condition = field.in_(exact) if exact else None
    for pattern in patterns:
        if not pattern.endswith("*"):
            continue
        prefix = pattern[:-1]
        part = (field == field) if not prefix else (fn.SUBSTR(field, 1, len(prefix)) == prefix)
        condition = part if condition is None else (condition | part)
    return condition if condition is not None else (field != field)


def select_accounts(crm: CRM, text: str, the_chart: Chart | None = None) -> AccountSelection:
    """What ``text`` names: an account code, else a chart line code, else an account kind.

    :raises NotFoundError: when it names none of them.
    """
    the_chart = the_chart or chart(crm)
    account = Account.get_or_none(Account.code == text)
    if account is not None:
        line = the_chart.placement(account.kind, account.type)
        return AccountSelection(f"{account.code} {account.name}".strip()
                                if account.name != account.code else account.code,
                                line.section, code=account.code, commodity=account.commodity,
                                line=line)
    line = the_chart.line(text)
    if line is not None:
        return AccountSelection(f"{line.code} {line.name}", line.section, kinds=line.kinds,
                                commodity=crm.currency, line=line)
    row = (Account.select(Account.type, Account.commodity).where(Account.kind == text)
           .limit(1).dicts().first())
    if row is not None:
        line = the_chart.placement(text, row["type"])
        return AccountSelection(text, line.section, kinds=(text,), commodity=row["commodity"],
                                line=line)
    raise NotFoundError("account, chart line or account kind", text)


# -- balances per kind ---------------------------------------------------------------


def closing_entries(since: dt.date | None = None, until: dt.date | None = None) -> Any:
    """SQL subquery: ids of the entries that close income and expenses into equity.

    A closing entry moves the year's income and expenses into equity: the
    entries of kind ``books.closing`` (and their reversals when a year is
    reopened, ``dyncrm.periods.CLOSING_KINDS``), and any other entry whose
    legs are all on income, expense and equity accounts with at least one of
    each side.  The income statement leaves these out, so a closed year still
    shows what it earned.

    Only the legs of the candidates are grouped: the entries with a leg on an
    equity account (every closing entry has one) and those of the closing kinds,
    both found through an index, not every entry of the period.
    """
    from dyncrm.periods import CLOSING_KINDS

    p, a, e = Posting.alias(), Account.alias(), JournalEntry.alias()
    pq, aq, eq = Posting.alias(), Account.alias(), JournalEntry.alias()
    candidates = (pq.select(pq.entry).join(aq, on=(pq.account == aq.id))
                  .where(aq.type == "equity")
                  | eq.select(eq.id).where(eq.kind.in_(list(CLOSING_KINDS))))

    def count(condition: Any) -> Any:
        return fn.SUM(Case(None, [(condition, 1)], 0))

    query = (p.select(p.entry).join(a, on=(p.account == a.id))
             .join(e, on=(p.entry == e.id))
             .where(p.entry.in_(candidates))
             .group_by(p.entry)
             .having(((count(a.type.in_(["asset", "liability"])) == 0)
                      & (count(a.type.in_(["income", "expense"])) > 0)
                      & (count(a.type == "equity") > 0))
                     | (fn.MAX(Case(None, [(e.kind.in_(list(CLOSING_KINDS)), 1)], 0)) == 1)))
    if since is not None:
        query = query.where(e.effective_date >= since)
    if until is not None:
        query = query.where(e.effective_date <= until)
    return query


@attrs.frozen
class KindTotal:
    """Debits and credits (raw minor units, both positive) of one account kind."""

    kind: str
    ledger_type: str
    debit: int
    credit: int

    @property
    def raw(self) -> int:
        """Debits less credits."""
        return self.debit - self.credit


def kind_totals(crm: CRM, *, since: dt.date | None = None, until: dt.date | None = None,
                commodity: str | None = None, exclude_closing: bool = False
                ) -> dict[str, KindTotal]:
    """Debits and credits per account kind between two dates (inclusive), one grouped query.

    ``commodity`` defaults to the deployment's currency; ``exclude_closing``
    leaves out the entries closing income and expenses (:func:`closing_entries`).
    The one-column case of :func:`kind_totals_spans`.
    """
    return kind_totals_spans(crm, [Span(since, until, exclude_closing)],
                             commodity=commodity)[0]


@attrs.frozen
class Span:
    """One column of :func:`kind_totals_spans`: dates (inclusive, ``None`` open) and
    whether the entries closing income and expenses are left out."""

    since: dt.date | None = None
    until: dt.date | None = None
    exclude_closing: bool = False


def kind_totals_spans(crm: CRM, spans: Sequence[Span], *, commodity: str | None = None
                      ) -> list[dict[str, KindTotal]]:
    """:func:`kind_totals` for each of ``spans`` (the same result, one per span), read
    with one grouped pass over the postings of all of them.

    The span's dates cut the pass into a few date buckets (before the fiscal year,
    in it, ...): the postings are summed per kind, type and bucket (and, where a
    span leaves out closing entries, whether the entry closes), and each span adds
    up the buckets it covers.  A kind is in a span's totals when it has postings
    there, as with :func:`kind_totals`.  ``exclude_closing`` leaves out the entries
    of :func:`closing_entries` between the span's dates: found once per distinct
    pair of dates and joined to the postings (``LEFT JOIN``), or left out in
    ``WHERE`` when every span leaves out the same ones.
    """
    if not spans:
        return []
    date = JournalEntry.effective_date
    day = dt.timedelta(days=1)
    # the pass reads the postings from the earliest start to the latest end; the
    # bounds narrower than that cut it into buckets: bucket b holds the dates from
    # edges[b - 1] (included) to edges[b] (excluded)
    low = min(s.since for s in spans) if all(s.since is not None for s in spans) else None
    high = max(s.until for s in spans) if all(s.until is not None for s in spans) else None
    starts = [s.since if s.since is not None and (low is None or s.since > low) else None
              for s in spans]
    stops = [s.until + day if s.until is not None and (high is None or s.until < high)
             else None for s in spans]
    edges = sorted({d for d in (*starts, *stops) if d is not None})
    # closing entries: left out in WHERE when every span leaves out the same ones, else
    # found once per distinct pair of dates, joined, and a group of their own
    dates = {(s.since, s.until) for s in spans if s.exclude_closing}
    everywhere = len(dates) == 1 and all(s.exclude_closing for s in spans)
    closing = [] if everywhere else sorted(
        dates, key=lambda d: (d[0] or dt.date.min, d[1] or dt.date.max))
    joined = [closing_entries(*key).alias(f"closing{i}") for i, key in enumerate(closing)]
    bucket = Case(None, [(date < edge, b) for b, edge in enumerate(edges)], len(edges)) \
        if edges else Value(0)
    flags = [Case(None, [(c.c.entry_id.is_null(), 0)], 1) for c in joined]
    keys = [Account.kind, Account.type, bucket.alias("bucket"),
            *(f.alias(f"closes{i}") for i, f in enumerate(flags))]
    query = Posting.select(
        *keys, fn.SUM(Case(None, [(Posting.amount > 0, Posting.amount)], 0)).alias("dr"),
        fn.SUM(Case(None, [(Posting.amount < 0, 0 - Posting.amount)], 0)).alias("cr"),
    ).join(Account).switch(Posting).join(JournalEntry)
    for found in joined:
        query = query.switch(Posting).join(found, JOIN.LEFT_OUTER,
                                           on=(found.c.entry_id == Posting.entry))
    positions = [SQL(str(i)) for i in range(1, len(keys) + 1)]  # the same on every backend
    query = (query.where(Posting.commodity == (commodity or crm.currency))
             .group_by(*positions).order_by(*positions))
    if low is not None:
        query = query.where(date >= low)
    if high is not None:
        query = query.where(date <= high)
    if everywhere:
        query = query.where(Posting.entry.not_in(closing_entries(*next(iter(dates)))))
    # which buckets (and closing flag) each span adds up
    covers = []
    for span, start, stop in zip(spans, starts, stops, strict=True):
        buckets = {b for b in range(len(edges) + 1)
                   if (start is None or (b > 0 and edges[b - 1] >= start))
                   and (stop is None or (b < len(edges) and edges[b] <= stop))}
        flag = closing.index((span.since, span.until)) \
            if span.exclude_closing and not everywhere else None
        covers.append((buckets, flag))
    sums: list[dict[str, list]] = [{} for _ in spans]  # kind -> [type, debit, credit]
    for row in crm.database.execute(query):  # plain rows: kind, type, bucket, flags, dr, cr
        kind, type_, b = row[0], row[1], row[2]
        dr, cr = int(row[-2] or 0), int(row[-1] or 0)
        for (buckets, flag), column in zip(covers, sums, strict=True):
            if b not in buckets or (flag is not None and row[3 + flag]):
                continue
            found = column.get(kind)
            if found is None:
                column[kind] = [type_, dr, cr]
            else:  # one kind opened with two types (or in two buckets): kept together
                found[0] = type_
                found[1] += dr
                found[2] += cr
    return [{kind: KindTotal(kind, type_, dr, cr) for kind, (type_, dr, cr) in column.items()}
            for column in sums]


# -- the journal ---------------------------------------------------------------------


@attrs.frozen
class JournalLine:
    """One leg of an entry as the journal shows it."""

    entry: int
    date: dt.date
    kind: str
    key: str | None
    memo: str
    owner: str | None
    member: str | None  #: the member's number (or id) the entry concerns
    account: str
    debit: Money | None
    credit: Money | None
    #: the running balance of the chosen accounts (:func:`account_ledger` only)
    balance: Money | None = None


def _entry_filter(crm: CRM, *, since: dt.date | None, until: dt.date | None,
                  account: AccountSelection | None, member_id: int | None,
                  reference: str | None, plugin: str | None, kind: str | None) -> list[Any]:
    conditions: list[Any] = []
    if since is not None:
        conditions.append(JournalEntry.effective_date >= since)
    if until is not None:
        conditions.append(JournalEntry.effective_date <= until)
    if account is not None:
        chosen = (Posting.select(Posting.entry).join(Account)
                  .where(account.condition(Account)))
        conditions.append(JournalEntry.id.in_(chosen))
    if member_id is not None:
        theirs = (Posting.select(Posting.entry).join(Account)
                  .where(Account.member == member_id))
        conditions.append((JournalEntry.member == member_id) | JournalEntry.id.in_(theirs))
    if reference:
        from dyncrm.db.receipts import Receipt

        text = reference.strip()
        receipts = Receipt.select(Receipt.entry).where(Receipt.number == text)
        conditions.append(JournalEntry.key.contains(text) | JournalEntry.memo.contains(text)
                          | JournalEntry.id.in_(receipts))
    if plugin:
        declared = [k for o in crm.ledger.owners() if o.plugin == plugin for k in o.kinds]
        owned = JournalEntry.owner == plugin
        if declared:  # entries older than the owner column: by the kinds the plugin declares
            owned |= JournalEntry.owner.is_null() & kind_condition(
                JournalEntry.kind, [p for k in declared for p in (k, k + ".*")])
        conditions.append(owned)
    if kind:
        patterns = [kind] if kind.endswith("*") else [kind, kind + ".*"]
        conditions.append(kind_condition(JournalEntry.kind, patterns))
    return conditions


def search(crm: CRM, *, since: dt.date | None = None, until: dt.date | None = None,
           account: str | AccountSelection | None = None, member_id: int | None = None,
           reference: str | None = None, plugin: str | None = None, kind: str | None = None,
           limit: int | None = None) -> Iterator[JournalLine]:
    """Journal entries matching every filter given, leg by leg, in date order (streamed).

    :param account: an account code, a chart line code or an account kind:
        entries with a leg on it (all their legs are shown).
    :param member_id: entries concerning the member (the entry names them, or a
        leg is on one of their accounts).
    :param reference: text in the entry's key (``deposit:KW-17``) or memo, or a
        receipt number.
    :param plugin: entries the plugin owns (``expand.loans``).
    :param kind: the entry kind, and kinds under it (``loans`` → ``loans.repayment`` ...).
    :param limit: at most this many entries (all their legs).
    """
    if isinstance(account, str):
        account = select_accounts(crm, account)
    conditions = _entry_filter(crm, since=since, until=until, account=account,
                               member_id=member_id, reference=reference, plugin=plugin,
                               kind=kind)
    chosen = JournalEntry.select(JournalEntry.id)
    if conditions:
        chosen = chosen.where(*conditions)
    if limit is not None:  # at most ``limit`` ids (MySQL refuses LIMIT in IN (subquery))
        chosen = [i for (i,) in chosen.order_by(JournalEntry.effective_date, JournalEntry.id)
                  .limit(limit).tuples()]
    query = (Posting.select(Posting.entry, Posting.amount, Posting.commodity, Account.code,
                            JournalEntry.effective_date, JournalEntry.kind, JournalEntry.key,
                            JournalEntry.memo, JournalEntry.owner, JournalEntry.member,
                            Member.number)
             .join(Account).switch(Posting).join(JournalEntry)
             .join(Member, JOIN.LEFT_OUTER, on=(JournalEntry.member == Member.id))
             .where(Posting.entry.in_(chosen))
             .order_by(JournalEntry.effective_date, JournalEntry.id, Posting.id))
    exponents: dict[str, int] = {}
    for row in query.tuples().iterator():
        (entry_id, units, commodity, code, day, kind_, key, memo, owner, member, number) = row
        exp = exponents.get(commodity)
        if exp is None:
            exp = exponents[commodity] = crm.ledger.exponent(commodity)
        amount = from_minor(abs(units), commodity, exp)
        yield JournalLine(entry_id, as_date(day), kind_, key, memo or "", owner,
                          number or (str(member) if member else None), code,
                          amount if units > 0 else None, amount if units < 0 else None)


def account_ledger(crm: CRM, account: str | AccountSelection, *, since: dt.date | None = None,
                   until: dt.date | None = None) -> tuple[AccountSelection, Money,
                                                          Iterator[JournalLine]]:
    """An account's (or chart line's, or kind's) ledger with a running balance.

    Returns the selection, the balance brought forward (before ``since``) and
    the legs on the chosen accounts in date order, each with the balance after
    it (streamed).  Balances read as the line's section reads them: assets and
    expenses positive when debits exceed credits, the rest when credits do.
    """
    if isinstance(account, str):
        account = select_accounts(crm, account)
    commodity = account.commodity or crm.currency
    exp = crm.ledger.exponent(commodity)
    sign = 1 if account.debit_normal else -1
    opening = 0
    if since is not None:
        opening = sign * int(
            Posting.select(fn.COALESCE(fn.SUM(Posting.amount), 0)).join(Account)
            .switch(Posting).join(JournalEntry)
            .where(account.condition(Account), Posting.commodity == commodity,
                   JournalEntry.effective_date < since).scalar() or 0)
    query = (Posting.select(Posting.entry, Posting.amount, Account.code,
                            JournalEntry.effective_date, JournalEntry.kind, JournalEntry.key,
                            JournalEntry.memo, JournalEntry.owner, JournalEntry.member,
                            Member.number)
             .join(Account).switch(Posting).join(JournalEntry)
             .join(Member, JOIN.LEFT_OUTER, on=(JournalEntry.member == Member.id))
             .where(account.condition(Account), Posting.commodity == commodity)
             .order_by(JournalEntry.effective_date, JournalEntry.id, Posting.id))
    if since is not None:
        query = query.where(JournalEntry.effective_date >= since)
    if until is not None:
        query = query.where(JournalEntry.effective_date <= until)

    def lines() -> Iterator[JournalLine]:
        running = opening
        for row in query.tuples().iterator():
            entry_id, units, code, day, kind_, key, memo, owner, member, number = row
            running += sign * units
            amount = from_minor(abs(units), commodity, exp)
            yield JournalLine(entry_id, as_date(day), kind_, key, memo or "", owner,
                              number or (str(member) if member else None), code,
                              amount if units > 0 else None, amount if units < 0 else None,
                              from_minor(running, commodity, exp))

    return account, from_minor(opening, commodity, exp), lines()


# -- trial balance -------------------------------------------------------------------


@attrs.frozen
class TrialBalanceRow:
    """One row of the trial balance: a balance shown as a debit or a credit."""

    code: str
    name: str
    section: str
    commodity: str
    debit: Money
    credit: Money
    mapped: bool = True


@attrs.frozen
class TrialBalance:
    """The trial balance on a date: rows, and debits and credits totalled per commodity."""

    on: dt.date | None
    by: str
    rows: Sequence[TrialBalanceRow] | Iterator[TrialBalanceRow]
    totals: dict[str, tuple[Money, Money]]

    @property
    def balanced(self) -> bool:
        """Debits equal credits for every commodity."""
        return all(d == c for d, c in self.totals.values())


def _totals(crm: CRM, on: dt.date | None) -> dict[str, tuple[Money, Money]]:
    """Per commodity, the sum of the debit balances and of the credit balances of accounts.

    One grouped query, its rows (one per account) streamed and added up.
    """
    query = (Posting.select(Posting.commodity, fn.SUM(Posting.amount))
             .join(JournalEntry).group_by(Posting.account, Posting.commodity))
    if on is not None:
        query = query.where(JournalEntry.effective_date <= on)
    sums: dict[str, list[int]] = {}
    for commodity, units in query.tuples().iterator():
        units = int(units or 0)
        slot = sums.setdefault(commodity, [0, 0])
        slot[0 if units > 0 else 1] += abs(units)
    out = {}
    for commodity, (dr, cr) in sorted(sums.items()):
        exp = crm.ledger.exponent(commodity)
        out[commodity] = (from_minor(dr, commodity, exp), from_minor(cr, commodity, exp))
    return out


def trial_balance(crm: CRM, *, on: dt.date | None = None, by: str = "kind") -> TrialBalance:
    """The trial balance at the end of ``on`` (default: everything posted).

    ``by``: ``kind`` (one row per account kind and commodity), ``line`` (per
    chart line; unmapped kinds on lines of their own) or ``account`` (every
    account, streamed).  A row's balance is a debit or a credit; the totals are
    the debit and credit balances of the accounts, which are equal when the
    books balance (grouping by kind or line nets accounts within a row, so its
    rows need not add up to those totals — the totals are per account).
    """
    if by not in TRIAL_BALANCE_BY:
        raise ValidationError(f"group the trial balance by {', '.join(TRIAL_BALANCE_BY)}",
                              field="by")
    the_chart = chart(crm)
    totals = _totals(crm, on)

    def money(units: int, commodity: str) -> tuple[Money, Money]:
        exp = crm.ledger.exponent(commodity)
        return (from_minor(max(units, 0), commodity, exp),
                from_minor(max(-units, 0), commodity, exp))

    if by == "account":
        query = (Posting.select(Account.code, Account.name, Account.kind, Account.type,
                                Posting.commodity, fn.SUM(Posting.amount))
                 .join(Account).switch(Posting).join(JournalEntry)
                 .group_by(Account.code, Account.name, Account.kind, Account.type,
                           Posting.commodity)
                 .order_by(Account.code))
        if on is not None:
            query = query.where(JournalEntry.effective_date <= on)

        def rows() -> Iterator[TrialBalanceRow]:
            for code, name, kind, type_, commodity, units in query.tuples().iterator():
                line = the_chart.placement(kind, type_)
                dr, cr = money(int(units or 0), commodity)
                yield TrialBalanceRow(code, name, line.section, commodity, dr, cr, line.mapped)

        return TrialBalance(on, by, rows(), totals)
    query = (Posting.select(Account.kind, Account.type, Posting.commodity,
                            fn.SUM(Posting.amount))
             .join(Account).switch(Posting).join(JournalEntry)
             .group_by(Account.kind, Account.type, Posting.commodity))
    if on is not None:
        query = query.where(JournalEntry.effective_date <= on)
    grouped: dict[tuple[str, str], list[Any]] = {}
    for kind, type_, commodity, units in query.tuples():
        line = the_chart.placement(kind, type_)
        if by == "kind":
            key, name = (kind, commodity), line.name if line.mapped else ""
        else:
            key, name = (line.code, commodity), line.name
        slot = grouped.setdefault(key, [name, line.section, 0, line.mapped])
        slot[2] += int(units or 0)
    order = {s: i for i, s in enumerate(("asset", "liability", "equity", "income", "expense"))}
    result = []
    for (code, commodity), (name, section, units, mapped) in sorted(
            grouped.items(), key=lambda kv: (kv[0][1] != crm.currency, order[kv[1][1]],
                                             kv[0][0])):
        dr, cr = money(units, commodity)
        result.append(TrialBalanceRow(code, name, section, commodity, dr, cr, mapped))
    return TrialBalance(on, by, result, totals)
