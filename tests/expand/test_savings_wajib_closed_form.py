"""The closed-form wajib arithmetic of batch jobs gives what the month-by-month loop gives.

``arrears_units`` and ``unpaid_due_between`` (used by the laporan simpanan, the
payroll list and the reminder plan) skip the loop over every owed month when the
monthly amount is constant; the loop (``months`` / ``unpaid`` / ``arrears``)
stays the definition, and these properties hold them equal.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from dyncrm_expand.savings.config import SavingsSettings, WajibProduct
from dyncrm_expand.savings.wajib import WajibCalculator, WajibState

DAYS = st.dates(min_value=dt.date(2019, 1, 1), max_value=dt.date(2027, 12, 31))


@st.composite
def cases(draw):
    due_day = draw(st.integers(1, 31))
    amount = draw(st.sampled_from(["1", "25000", "50000", "12345"]))
    calc = WajibCalculator(SavingsSettings(wajib=WajibProduct(due_day=due_day,
                                                              amount=Decimal(amount))), 0)
    start = draw(st.one_of(st.none(), DAYS))
    end = draw(st.one_of(st.none(), DAYS))
    units = calc.units(Decimal(amount))
    paid = draw(st.one_of(st.integers(-100_000, 3_000_000),
                          st.integers(-3, 120).map(lambda k: k * units)))
    state = WajibState(member_id=1, start_on=start, end_on=end, classes=(), paid_units=paid,
                       pokok_owed_units=0, pokok_paid_units=0)
    return calc, state


@settings(max_examples=400, deadline=None)
@given(cases(), DAYS)
def test_arrears_total_in_closed_form(case, as_of) -> None:
    calc, state = case
    loop = sum(u for _, u in calc.arrears(state, as_of))
    assert calc.arrears_units(state, as_of) == loop
    assert calc.owed_count(state, as_of) == len(calc.months(state, due_until=as_of))


@settings(max_examples=400, deadline=None)
@given(cases(), DAYS, st.integers(0, 400), st.integers(0, 120))
def test_unpaid_months_around_a_day_in_closed_form(case, on, back, ahead) -> None:
    calc, state = case
    lo, hi = on - dt.timedelta(days=back), on + dt.timedelta(days=ahead)
    loop = [m for m in calc.unpaid(calc.months(state, due_until=hi), state.paid_units)
            if m[1] >= lo]
    assert calc.unpaid_due_between(state, lo, hi) == loop


def test_class_history_falls_back_to_the_loop() -> None:
    calc = WajibCalculator(SavingsSettings(wajib=WajibProduct(
        due_day=25, amount=Decimal("25000"), by_class={"II": Decimal("50000")})), 0)
    state = WajibState(member_id=1, start_on=dt.date(2025, 1, 10), end_on=None,
                       classes=((dt.date(2025, 6, 1), "II"),), paid_units=200_000,
                       pokok_owed_units=0, pokok_paid_units=0)
    on = dt.date(2025, 12, 31)
    assert calc.constant_units(state) is None
    assert calc.arrears_units(state, on) == sum(u for _, u in calc.arrears(state, on)) == \
        5 * 25_000 + 7 * 50_000 - 200_000
    assert calc.unpaid_due_between(state, dt.date(2025, 11, 1), on) == [
        (dt.date(2025, 11, 1), dt.date(2025, 11, 25), 50_000),
        (dt.date(2025, 12, 1), dt.date(2025, 12, 25), 50_000)]
