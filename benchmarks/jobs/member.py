"""One member's view: what the portal's dashboard and ``savings balance`` read per page.

For a handful of members of the Koperasi world (``worlds.py``): balances by savings
type, wajib arrears at year end, the active loans with what is owed and due next,
and the reward points.  ``member.view`` goes through the library
(``savings.balances``, ``savings.wajib_arrears``, ``loans.overview.member_loans``,
``rewards.balance``); ``member.view raw`` computes the same figures with
hand-written SQL on the same file, the floor.  Both check their figures against
what the world implies, so they are identical.  The time must not grow with the
number of members (``flat``): every query touches only that member's rows.  Each is
timed best of :data:`RUNS` runs, as ``timeit`` times small statements.
"""

from __future__ import annotations

import datetime as dt

from harness import SAVINGS
from worlds import (
    DUE_DATES,
    LOAN_TERM,
    POKOK,
    WAJIB,
    Expect,
    check,
    has_loan,
    koperasi_job,
    paid_installments,
    wajib_gaps,
)

YEAR_END = dt.date(2025, 12, 31)
#: Wajib months of 2025, every one due on the 25th (on or before YEAR_END).
MONTHS = tuple(dt.date(2025, m, 1) for m in range(1, 13))
KINDS = ("savings.pokok", "savings.wajib", "savings.sukarela")
#: Timed runs of each (best of them): a run takes a few milliseconds.
RUNS = 50


def sample(world) -> list[int]:
    """A handful of members: with two gaps and a loan, late payers, no loan, the last."""
    ids = world.member_ids
    wanted = []
    for test in (lambda m: m % 24 == 0, lambda m: m % 27 == 0, lambda m: m % 9 == 0 and m % 2,
                 lambda m: not has_loan(m) and not wajib_gaps(m)):
        wanted.append(next(m for m in ids if test(m)))
    wanted.append(ids[len(ids) // 2])
    wanted.append(ids[-1])
    return wanted


def expected(world, member_id: int) -> dict:
    """The member's view as the world implies it (plain Python)."""
    gaps = len(wajib_gaps(member_id))
    view = {
        "balances": {"pokok": world.months * POKOK,
                     "wajib": (world.months - gaps) * WAJIB,
                     "sukarela": world.months * SAVINGS["savings.sukarela"]},
        # payments cover the oldest months first: the last ``gaps`` months are unpaid
        "arrears": [(month, WAJIB) for month in MONTHS[len(MONTHS) - gaps:]] if gaps else [],
        "loans": [],
        "points": 0,
    }
    if has_loan(member_id):
        e = Expect(world)
        paid = paid_installments(member_id)
        principal, _ = e.installment(member_id)
        view["loans"] = [((LOAN_TERM - paid) * principal, DUE_DATES[paid],
                          e.installment_total(member_id))]
    return view


@koperasi_job("member.view", time_growth="flat", memory_growth="flat", min_runs=RUNS)
def member_view(crm, world):
    """Six members' dashboards: balances, wajib arrears, loans and points (library)."""
    from dyncrm_expand import rewards, savings
    from dyncrm_expand.loans.overview import member_loans

    for member_id in sample(world):
        balances = savings.balances(crm, member_id)
        arrears = savings.wajib_arrears(crm, member_id, YEAR_END)
        loans = member_loans(crm, member_id)
        points = rewards.balance(crm, member_id)
        got = {
            "balances": {p: int(m.amount) for p, m in balances.items()},
            "arrears": [(month, int(m.amount)) for month, m in arrears],
            "loans": [(int(g.outstanding.amount), g.next_due, int(g.next_amount.amount))
                      for g in loans],
            "points": int(points.amount),
        }
        check(f"member {member_id}'s view", got, expected(world, member_id))


@koperasi_job("member.view raw", time_growth="flat", memory_growth="flat", min_runs=RUNS)
def member_view_raw(crm, world):
    """The same six views in hand-written SQL (the floor)."""
    db = crm.database
    marks = ", ".join("?" * len(KINDS))
    for member_id in sample(world):
        balances = {kind.split(".", 1)[1]: 0 for kind in KINDS}
        for kind, units in db.execute_sql(
                "SELECT a.kind, SUM(p.amount) FROM account a "
                "JOIN posting p ON p.account_id = a.id "
                f"WHERE a.member_id = ? AND a.kind IN ({marks}) GROUP BY a.kind",
                [member_id, *KINDS]):
            balances[kind.split(".", 1)[1]] = -int(units)
        start, paid = db.execute_sql(
            "SELECT COALESCE(o.start_on, m.joined_on), "
            "(SELECT -COALESCE(SUM(p.amount), 0) FROM account a "
            "JOIN posting p ON p.account_id = a.id JOIN journal_entry e ON e.id = p.entry_id "
            "WHERE a.member_id = m.id AND a.kind = 'savings.wajib' "
            "AND e.kind NOT LIKE 'deactivation.%' AND e.effective_date <= ?) "
            "FROM member m LEFT JOIN savings_obligation o "
            "ON o.member_id = m.id AND o.product = 'wajib' WHERE m.id = ?",
            [YEAR_END.isoformat(), member_id]).fetchone()
        owed = [m for m in MONTHS if m >= dt.date.fromisoformat(start).replace(day=1)]
        covered = int(paid) // WAJIB
        arrears = [(m, WAJIB) for m in owed[covered:]]
        loans = [(int(owed_), dt.date.fromisoformat(due), int(amount))
                 for owed_, due, amount in db.execute_sql(
                     "SELECT (SELECT SUM(i.principal - i.principal_paid) FROM loan_installment i "
                     "WHERE i.loan_id = l.id), n.due_on, "
                     "n.principal - n.principal_paid + n.interest - n.interest_paid "
                     "- n.interest_waived "
                     "FROM loan l JOIN loan_installment n ON n.loan_id = l.id AND n.number = "
                     "(SELECT MIN(number) FROM loan_installment WHERE loan_id = l.id "
                     "AND paid_on IS NULL) "
                     "WHERE l.member_id = ? AND l.stage = 'disbursed' ORDER BY l.id DESC",
                     [member_id])]
        row = db.execute_sql(
            "SELECT -COALESCE(SUM(p.amount), 0) FROM account a "
            "JOIN posting p ON p.account_id = a.id WHERE a.code = ?",
            [f"rewards.points:m{member_id}"]).fetchone()
        got = {"balances": balances, "arrears": arrears, "loans": loans,
               "points": int(row[0])}
        check(f"member {member_id}'s view (raw)", got, expected(world, member_id))
