"""A year closed while other processes post into it: the close and a posting never both win.

Real processes (``spawn``) on a SQLite file and on PostgreSQL: one approves closing 2025
while four others post income dated in December 2025.  Every posting either committed
before the close read the balances — and the closing entry took it to the result — or was
refused naming the closed year; afterwards every income account is zero at 31 December and
the result is exactly the income that was posted.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import traceback

import pytest

from dyncrm import periods
from dyncrm.money import Money
from dyncrm.testing import Clock, staff
from dyncrm.values import Actor

TODAY = dt.datetime(2026, 1, 10, 9, 0)
POSTERS, EACH = 4, 15
BACKENDS = [pytest.param(None, id="sqlite"),
            pytest.param("pg_url", marks=pytest.mark.postgres, id="postgres")]


def _worker(config, role: str, n: int, barrier, results) -> None:
    from dyncrm.app import CRM
    from dyncrm.errors import DyncrmError
    from dyncrm.periods import ClosedPeriodError

    outcomes = []
    try:
        crm = CRM(config, clock=lambda: TODAY)
        barrier.wait(60)
        if role == "closer":
            done = periods.close(crm, crm.actor("ketua"), "2025")
            outcomes.append(("close", done.stage))
        else:
            for i in range(EACH):
                try:
                    with crm.action("test.income", Actor.operator()):
                        crm.ledger.transfer(Money.of(1000, "IDR"), debit="cash",
                                            credit="income.other", kind="test", actor="kasir",
                                            key=f"p{n}-{i}", on=dt.date(2025, 12, 15))
                    outcomes.append(("post", "ok"))
                except ClosedPeriodError as exc:
                    outcomes.append(("post", "closed" if "2025 is closed" in str(exc)
                                     else str(exc)))
                except DyncrmError as exc:
                    outcomes.append(("post", type(exc).__name__))
        crm.close()
    except Exception:
        outcomes.append(("crash", traceback.format_exc()))
    results.put(outcomes)


@pytest.fixture(params=BACKENDS)
def database_url(request):
    return request.getfixturevalue(request.param) if request.param else None


def test_a_close_and_postings_never_both_win(make_crm, database_url) -> None:
    crm = make_crm(clock=Clock(TODAY), database_url=database_url)
    with crm.action("setup", Actor.operator()):
        crm.ledger.open_account("cash", type="asset")
        crm.ledger.open_account("income.other", type="income")
    staff(crm, "bendahara", "treasurer", password=None)
    staff(crm, "ketua", "admin", password=None)
    periods.close(crm, crm.actor("bendahara"), "2025")  # proposed; the race approves it

    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(POSTERS + 1), ctx.Queue()
    procs = [ctx.Process(target=_worker, args=(crm.config, "closer" if n == 0 else "poster",
                                               n, barrier, results), daemon=True)
             for n in range(POSTERS + 1)]
    for p in procs:
        p.start()
    outcomes = [o for _ in procs for o in results.get(timeout=120)]
    for p in procs:
        p.join(10)
    assert not [o for o in outcomes if o[0] == "crash"], outcomes
    assert ("close", "done") in outcomes
    posted = sum(1 for o in outcomes if o == ("post", "ok"))
    refused = sum(1 for o in outcomes if o == ("post", "closed"))
    assert posted + refused == (POSTERS) * EACH, outcomes
    assert crm.ledger.balance("income.other", as_of=dt.date(2025, 12, 31)) == \
        Money.of(0, "IDR")
    assert periods.year_result(crm, 2025) == Money.of(1000 * posted, "IDR")
    assert crm.ledger.balance("income.other") == Money.of(0, "IDR")
