"""expand.loans batch work: overdue installments and collectibility of every loan.

The Koperasi world (``worlds.py``): a flat 12-month loan for every third member,
installments due on the 25th from April 2025; most have paid through November,
``id % 9 == 0`` through September and ``id % 27 == 0`` through May.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from worlds import LOAN_TERM, Expect, check, koperasi_job, paid_installments

ON = dt.date(2025, 12, 20)


@koperasi_job("loans.overdue", memory_growth="linear")
def overdue(crm, world):
    """Unpaid installments past due on 20 December, with denda (one query)."""
    from dyncrm_expand.loans import queries as loan_queries

    items = loan_queries.overdue(crm, ON)
    e = Expect(world)
    late = e.unpaid_before(ON)
    check("overdue installments", len(items), len(late))
    check("overdue unpaid total", sum(int(i.unpaid.amount) for i in items),
          sum(e.installment_total(m) for m, _, _ in late))
    if any(i.penalty.amount <= 0 for i in items):
        raise AssertionError("an installment two months late carries no denda")


@koperasi_job("loans.collectibility", memory_growth="linear")
def collectibility(crm, world):
    """Collectibility grade and outstanding principal of every disbursed loan."""
    from dyncrm_expand.loans import queries as loan_queries

    grades = loan_queries.collectibility(crm, ON)
    e = Expect(world)
    check("graded loans", len(grades), len(e.loans))
    check("outstanding principal", sum(int(g.outstanding.amount) for g in grades),
          sum((LOAN_TERM - paid_installments(m)) * e.installment(m)[0] for m in e.loans))
    by_grade = Counter(g.grade for g in grades)
    check("loans lancar", by_grade["lancar"], sum(1 for m in e.loans if m % 9))
    check("loans diragukan", by_grade["diragukan"], sum(1 for m in e.loans if m % 27 == 0))
