"""Closed periods: four eyes to close and reopen, the ledger refusing postings dated
inside a closed period, and the year-end closing entries."""

from __future__ import annotations

import datetime as dt

import pytest

from dyncrm import periods
from dyncrm.db.models import ActionLog, JournalEntry, Member, Posting
from dyncrm.db.periods import ClosedPeriod
from dyncrm.errors import OwnedEntryError, PermissionDenied, ValidationError
from dyncrm.ledger import EntrySpec
from dyncrm.money import Money
from dyncrm.periods import ClosedPeriodError, Period
from dyncrm.testing import Clock, snapshot, staff
from dyncrm.values import Actor, Leg

SYSTEM = Actor.operator()
TODAY = dt.datetime(2026, 1, 10, 9, 0)


def idr(n: int | str) -> Money:
    return Money.of(n, "IDR")


@pytest.fixture
def books(make_crm):
    """A core CRM on 10 January 2026 with cash, a member's savings, interest income and
    an expense, and a treasurer and a chair."""
    crm = make_crm(clock=Clock(TODAY))
    with crm.action("setup", SYSTEM):
        member = Member.create(name="Siti")
        ledger = crm.ledger
        accounts = {
            "cash": ledger.open_account("cash", type="asset"),
            "savings": ledger.open_account("savings.sukarela", type="liability",
                                           member_id=member.id),
            "interest": ledger.open_account("income.loan_interest", type="income",
                                            member_id=member.id),
            "fees": ledger.open_account("income.loan_fees", type="income",
                                        member_id=member.id),
            "rent": ledger.open_account("expense.rent", type="expense"),
        }
    crm.member_id = member.id
    crm.accounts = accounts
    crm.treasurer = staff(crm, "bendahara", "treasurer", password=None)
    crm.chair = staff(crm, "ketua", "admin", password=None)
    return crm


def post(crm, debit: str, credit: str, amount: int, on: dt.date, key: str | None = None):
    a = crm.accounts
    with crm.action("test.post", SYSTEM):
        return crm.ledger.transfer(idr(amount), debit=a[debit], credit=a[credit], kind="test",
                                   actor="kasir", on=on, key=key)


def a_year(crm) -> None:
    """Interest 1.200.000 and fees 150.000 earned, rent 400.000 paid in 2025."""
    post(crm, "cash", "savings", 5_000_000, dt.date(2025, 1, 5))
    for month in range(1, 13):
        post(crm, "cash", "interest", 100_000, dt.date(2025, month, 25))
    post(crm, "cash", "fees", 150_000, dt.date(2025, 3, 2))
    post(crm, "rent", "cash", 400_000, dt.date(2025, 6, 30))


def close(crm, period: str):
    first = periods.close(crm, crm.treasurer, period, reason="month end")
    assert first.stage == "proposed"
    return periods.close(crm, crm.chair, period)


# -- four eyes ---------------------------------------------------------------------------


def test_closing_needs_a_second_person(books) -> None:
    proposed = periods.close(books, books.treasurer, "2025-11", reason="month end")
    assert proposed.stage == "proposed" and not periods.is_closed(books, "2025-11")
    assert "another person must approve" in proposed.describe()
    with pytest.raises(ValidationError, match="four eyes: bendahara proposed closing "
                                              "November 2025 and cannot also approve"):
        periods.close(books, books.treasurer, "2025-11")
    assert not periods.is_closed(books, "2025-11")
    done = periods.close(books, books.chair, "2025-11")
    assert done.stage == "done" and periods.is_closed(books, "2025-11")
    info = periods.status_of(books, "2025-11")
    assert (info.proposed_by, info.approved_by, info.reason) == ("bendahara", ("ketua",),
                                                                 "month end")
    again = periods.close(books, books.treasurer, "2025-11")
    assert again.stage == "already" and "nothing was changed" in again.describe()


def test_quorum_rule_can_ask_for_more_approvers(make_crm) -> None:
    crm = make_crm(clock=Clock(TODAY), quorum={"books.close": {"approvals": 2}})
    a, b, c = (staff(crm, n, "treasurer", password=None) for n in ("ani", "budi", "cici"))
    periods.close(crm, a, "2025-12")
    half = periods.close(crm, b, "2025-12")
    assert half.stage == "approved" and "1 more approval" in half.describe()
    assert not periods.is_closed(crm, "2025-12")
    assert periods.close(crm, c, "2025-12").stage == "done"


def test_who_may_close(books) -> None:
    cashier = staff(books, "kasir", "cashier", password=None)
    with pytest.raises(PermissionDenied):
        periods.close(books, cashier, "2025-11")
    with pytest.raises(PermissionDenied):
        periods.close(books, Actor.system("scheduler"), "2025-11")
    with pytest.raises(ValidationError, match="can be closed from the day after"):
        periods.close(books, books.treasurer, "2026-01")
    with pytest.raises(ValidationError, match="is not a period"):
        periods.close(books, books.treasurer, "2025-13")


# -- the ledger refuses ------------------------------------------------------------------


def test_posting_into_a_closed_month_is_refused_and_changes_nothing(books, tmp_path) -> None:
    post(books, "cash", "savings", 1_000, dt.date(2025, 11, 3))
    close(books, "2025-11")
    before = snapshot(books)
    with pytest.raises(ClosedPeriodError, match=r"cannot post an entry dated 2025-11-30: "
                                                r"November 2025 is closed by bendahara and "
                                                r"ketua on 2026-01-10.*dyncrm books reopen "
                                                r"--month 2025-11"):
        post(books, "cash", "savings", 1_000, dt.date(2025, 11, 30))
    with pytest.raises(ClosedPeriodError, match="2025-11-01"), books.action("batch", SYSTEM):
        books.ledger.post_many([
            EntrySpec(legs=(Leg(books.accounts["cash"], idr(5)),
                            Leg(books.accounts["savings"], idr(-5))),
                      kind="test", actor="kasir", key=f"b{i}", on=day)
            for i, day in enumerate([dt.date(2025, 12, 1), dt.date(2025, 11, 1)])])
    entry = JournalEntry.select().order_by(JournalEntry.id).first()
    with pytest.raises(ClosedPeriodError), books.action("fix", SYSTEM):
        books.ledger.reverse(entry.id, actor="bendahara", on=dt.date(2025, 11, 20))
    assert snapshot(books) == before
    # the days around it are open, and a correction goes into the open period
    post(books, "cash", "savings", 1_000, dt.date(2025, 10, 31))
    post(books, "cash", "savings", 1_000, dt.date(2025, 12, 1))
    with books.action("fix", SYSTEM):
        fixed = books.ledger.reverse(entry.id, actor="bendahara")
    assert fixed.entry.effective_date == dt.date(2026, 1, 10)


def test_a_replay_of_an_entry_in_a_closed_month_still_answers(books) -> None:
    post(books, "cash", "savings", 1_000, dt.date(2025, 11, 3), key="dep-1")
    close(books, "2025-11")
    again = post(books, "cash", "savings", 1_000, dt.date(2025, 11, 3), key="dep-1")
    assert again.replayed


def test_deployments_that_close_nothing_post_in_the_past(books) -> None:
    post(books, "cash", "savings", 1_000, dt.date(2019, 2, 3))
    assert ClosedPeriod.select().count() == 0


# -- reopening ---------------------------------------------------------------------------


def test_reopening_needs_a_reason_and_four_eyes(books) -> None:
    close(books, "2025-11")
    with pytest.raises(ValidationError, match="say why"):
        periods.reopen(books, books.chair, "2025-11", reason=" ")
    first = periods.reopen(books, books.chair, "2025-11", reason="payroll file of November "
                                                                 "arrived late")
    assert first.stage == "proposed" and periods.is_closed(books, "2025-11")
    with pytest.raises(ValidationError, match="four eyes: ketua proposed reopening"):
        periods.reopen(books, books.chair, "2025-11", reason="again")
    done = periods.reopen(books, books.treasurer, "2025-11", reason="agreed")
    assert done.stage == "done" and not periods.is_closed(books, "2025-11")
    post(books, "cash", "savings", 1_000, dt.date(2025, 11, 30))
    info = periods.status_of(books, "2025-11")
    assert info.reopen_reason == "payroll file of November arrived late"
    assert info.reopened_by == ("ketua", "bendahara")
    # closed again: a new round
    close(books, "2025-11")
    assert periods.status_of(books, "2025-11").round == 2


# -- the year ----------------------------------------------------------------------------


def test_closing_a_year_zeroes_income_and_expenses_into_the_result(books) -> None:
    a_year(books)
    close(books, "2025-03")  # one month closed before; the year closes the others
    outcome = close(books, "2025")
    assert outcome.stage == "done"
    assert len(outcome.months_closed) == 11
    assert all(periods.is_closed(books, f"2025-{m:02d}") for m in range(1, 13))
    income, expenses = 1_200_000 + 150_000, 400_000
    assert periods.year_result(books, 2025) == idr(income - expenses)
    ledger = books.ledger
    for key in ("interest", "fees", "rent"):
        assert ledger.balance(books.accounts[key]) == idr(0)
    assert ledger.balance(periods.RESULT_ACCOUNT) == idr(income - expenses)
    assert ledger.trial_balance() == {"IDR": 0}
    entry = ledger.entry(outcome.info.entry_id)
    assert (entry.kind, entry.key, entry.effective_date) == (
        "books.closing", "books:close:2025", dt.date(2025, 12, 31))
    assert entry.meta["result"] == income - expenses
    # nothing more can be posted in 2025, and the closing entry is no one's to reverse
    with pytest.raises(ClosedPeriodError, match="the fiscal year 2025 is closed"):
        post(books, "cash", "interest", 1, dt.date(2025, 7, 1))
    with pytest.raises(OwnedEntryError), books.action("x", SYSTEM):
        ledger.reverse(entry.id, actor="bendahara")
    assert ActionLog.select().where(ActionLog.action == "books.close").count() == 4


def test_a_replayed_year_close_posts_nothing(books) -> None:
    a_year(books)
    close(books, "2025")
    entries, postings = JournalEntry.select().count(), Posting.select().count()
    again = periods.close(books, books.chair, "2025")
    assert again.stage == "already"
    periods.close(books, books.treasurer, "2025")
    assert (JournalEntry.select().count(), Posting.select().count()) == (entries, postings)


def test_a_loss_and_an_empty_year(books) -> None:
    post(books, "rent", "cash", 400_000, dt.date(2025, 6, 30))
    close(books, "2025")
    assert periods.year_result(books, 2025) == idr(-400_000)
    assert books.ledger.balance(periods.RESULT_ACCOUNT) == idr(-400_000)
    books.set_clock(Clock(dt.datetime(2027, 1, 3, 9)))
    outcome = close(books, "2026")
    assert outcome.info.entry_id is None and periods.year_result(books, 2026) == idr(0)


def test_years_close_in_order(books) -> None:
    post(books, "cash", "interest", 10, dt.date(2024, 5, 1))
    a_year(books)
    with pytest.raises(ValidationError, match=r"the fiscal year 2024 has income or expenses "
                                              r"and is not closed.*--year 2024"):
        periods.close(books, books.treasurer, "2025")
    close(books, "2024")
    close(books, "2025")
    assert periods.year_result(books, 2024) == idr(10)
    assert periods.year_result(books, 2025) == idr(1_350_000 - 400_000)


def test_reopening_a_year_reverses_its_closing_and_a_new_close_posts_again(books) -> None:
    a_year(books)
    close(books, "2025")
    with pytest.raises(ValidationError, match="reopen the year first"):
        periods.reopen(books, books.treasurer, "2025-12", reason="late invoice")
    periods.reopen(books, books.treasurer, "2025", reason="late invoice of December")
    periods.reopen(books, books.chair, "2025", reason="agreed")
    assert periods.year_result(books, 2025) is None
    assert books.ledger.balance(books.accounts["interest"]) == idr(1_200_000)
    periods.reopen(books, books.treasurer, "2025-12", reason="late invoice")
    periods.reopen(books, books.chair, "2025-12", reason="agreed")
    post(books, "rent", "cash", 50_000, dt.date(2025, 12, 20))
    again = close(books, "2025")
    assert again.stage == "done" and again.info.round == 2
    assert books.ledger.entry(again.info.entry_id).key == "books:close:2025:r2"
    assert periods.year_result(books, 2025) == idr(1_350_000 - 450_000)
    assert books.ledger.balance(periods.RESULT_ACCOUNT) == idr(900_000)


def test_the_hook_fires_once_when_a_year_closes(make_crm) -> None:
    from dyncrm import hookimpl

    seen = []

    class Listener:
        @hookimpl
        def dyncrm_expand_year_closed(self, crm, year, actor):
            seen.append((year, actor.username))

    crm = make_crm(clock=Clock(TODAY), extra_plugins=[("listener", Listener())])
    treasurer = staff(crm, "bendahara", "treasurer", password=None)
    chair = staff(crm, "ketua", "admin", password=None)
    periods.close(crm, treasurer, "2025")
    periods.close(crm, chair, "2025")
    periods.close(crm, chair, "2025")
    assert seen == [(2025, "ketua")]


def test_period_parsing() -> None:
    assert Period.parse("2025-02").last_day == dt.date(2025, 2, 28)
    assert Period.parse("2024").label == "the fiscal year 2024"
    assert Period.parse("2025-11").label == "November 2025"
    for bad in ("", "25-11", "2025-1", "2025-00", "abcd"):
        with pytest.raises(ValidationError):
            Period.parse(bad)
