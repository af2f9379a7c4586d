"""Simpanan wajib owed, paid and in arrears, derived from the ledger.

A member owes wajib for every month from the month they joined until they
leave.  Month ``M`` falls due on the configured day of ``M`` (its last day in
short months; in the joining month never before the joining date).  Whatever
wajib a member has paid is allocated to the oldest month first, so with
months ``m1..mk`` of amounts ``a1..ak`` and ``T`` paid in total, month ``mi``
still lacks ``clamp(a1+…+ai − T, 0, ai)``.  A prepayment simply covers later
months.

"Paid" is the natural sum of the member's ``savings.wajib`` postings except the
entries of a leaving settlement (kinds ``deactivation.*``), which move the
balance out without un-paying anything.

Loading is set-based: :func:`load_states` reads every member's obligations and
wajib and pokok paid in one statement (and the class histories, if any, in one
more) whatever the number of members; :func:`load_state` reads one member's in
one indexed statement.  The per-member arithmetic then runs in Python without
touching the database.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal

import attrs

from dyncrm.dates import as_date as _date
from dyncrm.db import prepared
from dyncrm.db.models import Member
from dyncrm_expand.savings.config import SavingsSettings
from dyncrm_expand.savings.models import SavingsMemberClass

SETTLEMENT_KIND_PREFIX = "deactivation."


def month_start(day: dt.date) -> dt.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(month: dt.date, n: int) -> dt.date:
    """The first day of the month ``n`` months after ``month``."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def month_label(month: dt.date) -> str:
    """``YYYY-MM``."""
    return f"{month.year:04d}-{month.month:02d}"


def parse_month(text: str) -> dt.date:
    """The first day of a month written ``YYYY-MM`` (or a full ISO date)."""
    from dyncrm.errors import ValidationError
    from dyncrm.inputs import check_date

    try:
        if len(text) == 7:
            month = dt.date.fromisoformat(text + "-01")
        else:
            month = month_start(dt.date.fromisoformat(text))
    except (ValueError, TypeError):
        raise ValidationError(f"{text!r} is not a month; write YYYY-MM", field="month") from None
    return check_date(month, field="month", kind="business")  # 50 years back, 10 ahead


def due_date(month: dt.date, due_day: int, start_on: dt.date | None = None) -> dt.date:
    """When month ``month``'s wajib falls due (never before ``start_on``)."""
    last = calendar.monthrange(month.year, month.month)[1]
    due = dt.date(month.year, month.month, min(due_day, last))
    if start_on is not None and due < start_on:
        due = start_on
    return due


@attrs.frozen
class WajibState:
    """What the arithmetic needs about one member, loaded in bulk."""

    member_id: int
    start_on: dt.date | None
    end_on: dt.date | None
    classes: tuple[tuple[dt.date, str], ...]
    paid_units: int
    pokok_owed_units: int
    pokok_paid_units: int

    def class_on(self, month: dt.date) -> str | None:
        """The member's class in ``month`` (the latest set on or before it)."""
        if not self.classes:
            return None
        i = bisect.bisect_right([since for since, _ in self.classes], month)
        return self.classes[i - 1][1] if i else None


class WajibCalculator:
    """Owed and unpaid wajib per month, from settings and loaded states."""

    def __init__(self, settings: SavingsSettings, exponent: int) -> None:
        self.settings = settings
        self.exponent = exponent
        self._due: dict[dt.date, dt.date] = {}  # month -> its due date (batch jobs)
        self._constant = self.units(settings.wajib.amount)

    def due_on(self, month: dt.date, start_on: dt.date | None) -> dt.date:
        """:func:`due_date` of ``month`` with this deployment's due day (kept per month)."""
        due = self._due.get(month)
        if due is None:
            due = self._due[month] = due_date(month, self.settings.wajib.due_day)
        return start_on if start_on is not None and due < start_on else due

    @property
    def default_units(self) -> int:
        """The monthly wajib of a member without a class (``wajib.amount``), in minor
        units."""
        return self._constant

    def units(self, amount: Decimal) -> int:
        """Minor units of a configured amount."""
        scaled = amount.scaleb(self.exponent)
        return int(scaled.to_integral_value())

    def monthly_units(self, state: WajibState, month: dt.date) -> int:
        """Wajib owed for ``month`` by the member's class, in minor units."""
        wajib = self.settings.wajib
        cls = state.class_on(month)
        amount = wajib.by_class.get(cls, wajib.amount) if cls is not None else wajib.amount
        return self.units(amount)

    def months(self, state: WajibState, *, due_until: dt.date | None = None,
               through_month: dt.date | None = None) -> list[tuple[dt.date, dt.date, int]]:
        """``(month, due date, units)`` owed from joining, oldest first.

        Stops at the last month due on or before ``due_until`` and at
        ``through_month``; never beyond the end of membership.
        """
        if due_until is None and through_month is None:
            raise ValueError("months() needs due_until or through_month")
        if state.start_on is None:
            return []
        out = []
        month = month_start(state.start_on)
        limit = due_until
        if state.end_on is not None:
            limit = state.end_on if limit is None else min(limit, state.end_on)
        while True:
            if through_month is not None and month > through_month:
                break
            due = self.due_on(month, state.start_on)
            if limit is not None and due > limit:
                break
            out.append((month, due, self.monthly_units(state, month)))
            month = add_months(month, 1)
        return out

    @staticmethod
    def unpaid(months: list[tuple[dt.date, dt.date, int]], paid_units: int
               ) -> list[tuple[dt.date, dt.date, int]]:
        """Allocate ``paid_units`` oldest first; return the months still lacking money."""
        out = []
        cumulative = 0
        for month, due, units in months:
            cumulative += units
            lacking = min(max(cumulative - paid_units, 0), units)
            if lacking:
                out.append((month, due, lacking))
        return out

    def arrears(self, state: WajibState, as_of: dt.date) -> list[tuple[dt.date, int]]:
        """Unpaid months due on or before ``as_of`` (state loaded as of ``as_of``).

        Only the unpaid months are computed when the amount is constant
        (:meth:`unpaid_due_between` from the first month on).
        """
        return [(m, u) for m, _, u in self.unpaid_due_between(state, dt.date.min, as_of)]

    def due_for_month(self, state: WajibState, month: dt.date) -> int:
        """What is still unpaid of ``month``'s wajib (0 if not owed or paid)."""
        owed = self.months(state, through_month=month)
        if not owed or owed[-1][0] != month:
            return 0
        lacking = self.unpaid(owed, state.paid_units)
        return lacking[-1][2] if lacking and lacking[-1][0] == month else 0

    # -- closed forms for the constant-amount case (batch jobs) ---------------------

    def constant_units(self, state: WajibState) -> int | None:
        """The monthly wajib of a member whose amount cannot change (no class history),
        in minor units; ``None`` when it may change from month to month."""
        if state.classes:
            return None
        return self._constant

    def owed_count(self, state: WajibState, due_until: dt.date) -> int:
        """How many months :meth:`months` returns for ``due_until``, without the loop.

        Due dates grow with the month, so the months owed run from the joining
        month to the last one due on or before ``min(due_until, end_on)``.
        """
        if state.start_on is None:
            return 0
        limit = due_until if state.end_on is None else min(due_until, state.end_on)
        first = month_start(state.start_on)
        last = month_start(limit)
        if self.due_on(last, state.start_on) > limit:
            last = add_months(last, -1)
        count = (last.year - first.year) * 12 + last.month - first.month + 1
        return max(count, 0)

    def arrears_units(self, state: WajibState, as_of: dt.date) -> int:
        """The sum of :meth:`arrears` (closed form when the amount is constant)."""
        units = self.constant_units(state)
        if units is None:
            return sum(u for _, u in self.arrears(state, as_of))
        return max(self.owed_count(state, as_of) * units - max(state.paid_units, 0), 0)

    def unpaid_due_between(self, state: WajibState, since: dt.date, until: dt.date
                           ) -> list[tuple[dt.date, dt.date, int]]:
        """Unpaid ``(month, due date, units)`` falling due from ``since`` to ``until``
        (what ``unpaid(months(due_until=until))`` keeps from ``since`` on), computing
        only those months when the amount is constant."""
        units = self.constant_units(state)
        if units is None:
            owed = self.months(state, due_until=until)
            return [m for m in self.unpaid(owed, state.paid_units) if m[1] >= since]
        count = self.owed_count(state, until)
        if count == 0 or units == 0:
            return []
        paid = state.paid_units
        # months 1..k are fully covered by what was paid (payments go oldest first)
        covered = min(paid // units, count) if paid > 0 else 0
        first = month_start(state.start_on)
        out = []
        for index in range(count, covered, -1):  # newest first, stop before ``since``
            month = add_months(first, index - 1)
            due = self.due_on(month, state.start_on)
            if due < since:
                break
            lacking = min(max(index * units - paid, 0), units)
            if lacking:
                out.append((month, due, lacking))
        out.reverse()
        return out

    def pokok_unpaid(self, state: WajibState) -> int:
        """Simpanan pokok still owed, in minor units."""
        return max(state.pokok_owed_units - state.pokok_paid_units, 0)


_PAID = ("(SELECT SUM(p.amount) FROM account a JOIN posting p ON p.account_id = a.id "
         "JOIN journal_entry e ON e.id = p.entry_id "
         "WHERE a.member_id = m.id AND a.kind = '{kind}' AND NOT (e.kind LIKE {{p}}){until})")
_STATES = ("SELECT m.id, m.stage, m.joined_on, w.start_on, w.end_on, k.amount, k.id, "
           "(SELECT COUNT(*) FROM savings_member_class c WHERE c.member_id = m.id), "
           "{wajib}, {pokok} "
           "FROM member m "
           "LEFT JOIN savings_obligation w ON w.member_id = m.id AND w.product = 'wajib' "
           "LEFT JOIN savings_obligation k ON k.member_id = m.id AND k.product = 'pokok' "
           "WHERE {where}")
#: Ids of the selected members' chunks (IN lists) at most.
CHUNK = 500


def _states_sql(where: str, dated: bool, *, paid: bool = True) -> str:
    """Members (``where``) with their wajib facts and wajib and pokok paid, settlements
    excluded (up to a ``{p}`` date if ``dated``): one row per member, the paid sums
    read through each member's own accounts (``NULL`` when not ``paid``)."""
    if not paid:
        return _STATES.format(where=where, wajib="NULL", pokok="NULL")
    until = " AND e.effective_date <= {p}" if dated else ""
    return _STATES.format(where=where, **{product: _PAID.format(kind=f"savings.{product}",
                                                                until=until)
                                          for product in ("wajib", "pokok")})


#: The one-member load, without and with an ``as_of`` date.
_ONE_SQL = {dated: _states_sql("m.id = {p}", dated) for dated in (False, True)}
_CLASSES_SQL = ("SELECT since, member_class FROM savings_member_class WHERE member_id = {p} "
                "ORDER BY since")


def _paid_params(as_of: dt.date | None) -> list:
    """The parameters of the two paid sums of :func:`_states_sql`."""
    pattern = SETTLEMENT_KIND_PREFIX + "%"
    if as_of is None:
        return [pattern, pattern]
    day = as_of.isoformat()
    return [pattern, day, pattern, day]


def _state(calc: WajibCalculator, row: tuple, classes: tuple[tuple[dt.date, str], ...],
           default_pokok: int, paid: tuple[int, int] | None = None) -> WajibState:
    """A :class:`WajibState` from a row of :func:`_states_sql` (``paid``: the negated
    sums of wajib and pokok postings when the row does not carry them)."""
    member_id, _stage, joined_on, w_start, w_end, p_amount, p_id, _count, wajib, pokok = row
    if paid is not None:
        wajib, pokok = paid
    start = _date(w_start) or _date(joined_on)
    pokok_owed = p_amount if p_id is not None else (default_pokok if start is not None else 0)
    return WajibState(
        member_id=member_id, start_on=start, end_on=_date(w_end), classes=classes,
        paid_units=-int(wajib or 0), pokok_owed_units=int(pokok_owed or 0),
        pokok_paid_units=-int(pokok or 0))


def load_state(calc: WajibCalculator, database, member_id: int, *,
               as_of: dt.date | None = None) -> tuple[str, WajibState] | None:
    """One member's ``(stage, WajibState)`` in one indexed query (two with class history),
    the same state :func:`load_states` loads for them; ``None`` for an unknown member.

    For the pages that show one member (balances and arrears on every view): the
    SQL text is prepared once (:mod:`dyncrm.db.prepared`) and only that member's
    rows are read.
    """
    row = database.execute_sql(prepared.sql(database, _ONE_SQL[as_of is not None]),
                               [*_paid_params(as_of), int(member_id)]).fetchone()
    if row is None:
        return None
    classes: tuple[tuple[dt.date, str], ...] = ()
    if row[7]:
        classes = tuple((_date(since), name) for since, name in database.execute_sql(
            prepared.sql(database, _CLASSES_SQL), [int(member_id)]))
    return row[1], _state(calc, row, classes, calc.units(calc.settings.pokok.amount))


def load_states(calc: WajibCalculator, *, stages: Iterable[str] | None = ("active",),
                member_ids: Iterable[int] | None = None,
                as_of: dt.date | None = None,
                paid: dict[int, tuple[int, int]] | None = None) -> dict[int, WajibState]:
    """Load every member's :class:`WajibState`: one statement (one per 500 ids asked for),
    and one more for the class histories when some member has one.

    Each row carries the member's wajib and pokok paid, summed through their own
    accounts; rows are read as plain tuples from SQL text written once.

    :param stages: only members in these stages (``None``: any stage).
    :param member_ids: only these members.
    :param as_of: count payments effective on or before this date.
    :param paid: the sums of the members' ``savings.wajib`` and ``savings.pokok``
        postings (settlements excluded, up to ``as_of``) when the caller has already
        read them, ``{member_id: (wajib, pokok)}`` (missing: none); the statement then
        does not read them again.
    """
    database = Member._meta.database
    stage_list = list(stages) if stages is not None else None
    conditions = []
    base: list = _paid_params(as_of) if paid is None else []
    if stage_list is not None:
        conditions.append(f"m.stage IN ({prepared.marks(len(stage_list))})")
        base += stage_list
    if member_ids is None:
        groups: list[list[int]] = [[]]
    else:
        ids = sorted({int(i) for i in member_ids})
        groups = [ids[i:i + CHUNK] for i in range(0, len(ids), CHUNK)]
    rows: list[tuple] = []
    for group in groups:
        where = list(conditions)
        if member_ids is not None:
            where.append(f"m.id IN ({prepared.marks(len(group))})")
        text = _states_sql(" AND ".join(where) or "1 = 1", as_of is not None,
                           paid=paid is None)
        rows.extend(database.execute_sql(prepared.sql(database, text), base + group))
    classes: dict[int, list[tuple[dt.date, str]]] = defaultdict(list)
    with_classes = [row[0] for row in rows if row[7]]
    if with_classes:
        query = (SavingsMemberClass.select(SavingsMemberClass.member,
                                           SavingsMemberClass.since,
                                           SavingsMemberClass.member_class)
                 .order_by(SavingsMemberClass.member, SavingsMemberClass.since))
        if len(with_classes) <= CHUNK:
            query = query.where(SavingsMemberClass.member.in_(with_classes))
        for member_id, since, name in query.tuples().iterator():
            classes[member_id].append((_date(since), name))
    default_pokok = calc.units(calc.settings.pokok.amount)
    if paid is not None:
        return {row[0]: _state(calc, row, tuple(classes.get(row[0], ())), default_pokok,
                               paid.get(row[0], (0, 0))) for row in rows}
    return {row[0]: _state(calc, row, tuple(classes.get(row[0], ())), default_pokok)
            for row in rows}


def arrears_units_by_member(calc: WajibCalculator, *, as_of: dt.date,
                            paid: dict[int, tuple[int, int]],
                            stages: Iterable[str] = ("active",)) -> dict[int, int]:
    """Wajib arrears on ``as_of`` of every member in ``stages`` who has some, in minor units,
    ``{member_id: units}``: what :meth:`WajibCalculator.arrears_units` gives for the states
    :func:`load_states` would load with the same ``paid`` (the members' ``savings.wajib``
    and ``savings.pokok`` sums, settlements excluded, up to ``as_of``).

    One statement reads the obligations; no state is built for a member whose monthly
    amount is constant (no class history): the months owed are counted once per distinct
    start and end, and the arrears follow in closed form.  Members with a class history
    are loaded as :func:`load_states` loads them.
    """
    database = Member._meta.database
    stage_list = list(stages)
    text = _states_sql(f"m.stage IN ({prepared.marks(len(stage_list))})", False, paid=False)
    constant = calc.default_units
    counts: dict[tuple, int] = {}
    out: dict[int, int] = {}
    with_classes: list[int] = []
    for row in database.execute_sql(prepared.sql(database, text), stage_list):
        member_id, _stage, joined_on, w_start, w_end = row[:5]
        if row[7]:
            with_classes.append(member_id)
            continue
        key = (w_start, joined_on, w_end)
        count = counts.get(key)
        if count is None:
            count = counts[key] = calc.owed_count(WajibState(
                member_id=member_id, start_on=_date(w_start) or _date(joined_on),
                end_on=_date(w_end), classes=(), paid_units=0, pokok_owed_units=0,
                pokok_paid_units=0), as_of)
        if not count:
            continue
        found = paid.get(member_id)
        paid_units = -int(found[0] or 0) if found is not None else 0
        units = count * constant - max(paid_units, 0)
        if units > 0:
            out[member_id] = units
    if with_classes:
        for member_id, state in load_states(calc, stages=stage_list, member_ids=with_classes,
                                            as_of=as_of, paid=paid).items():
            units = calc.arrears_units(state, as_of)
            if units:
                out[member_id] = units
    return out
