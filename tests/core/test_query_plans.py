"""One member's view reads only that member's rows: the query plans of the hot paths.

The portal's member dashboard and ``dyncrm savings balance`` call, on every page
view, ``savings.balances``, ``savings.wajib_arrears`` (``wajib.load_state``), the
loans overview ``member_loans`` and the rewards card's ``rewards.balance``: one
prepared statement each (two for a member with a class history), also with an
``as_of`` date.  Their SQL is captured by wrapping ``crm.database.execute_sql``
while the library functions run, the number of statements is checked, then each
statement is explained: on SQLite every table is reached through an index, and the
ledger's tables through the member's own keys (never a whole table, nor every
account of a kind); on PostgreSQL, after ``ANALYZE``, no sequential scan of the
ledger or loan tables.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from peewee import SqliteDatabase

from dyncrm.db.migrate import refresh_statistics
from dyncrm.db.models import Account, JournalEntry, Member

MEMBERS = 600
KINDS = ("savings.pokok", "savings.wajib", "savings.sukarela")
MONTHS = tuple(dt.date(2025, m, 1) for m in range(1, 5))
#: Tables with enough rows here that PostgreSQL must not scan them for one member (with
#: 200 loans of a few pages a sequential scan of ``loan`` is what the planner rightly picks).
BIG = {"account", "posting", "journal_entry", "loan_installment"}
AS_OF = dt.date(2025, 12, 31)


def _fill(crm) -> int:
    """600 members with three savings accounts, four months of deposits and, for every
    third, a loan of 12 installments; set-based.  Returns a member with a loan and a
    class history (their wajib amount may change from month to month)."""
    from dyncrm_expand.loans.models import Loan, LoanInstallment
    from dyncrm_expand.savings.models import SavingsMemberClass

    db = crm.database
    with db.atomic():
        cash = crm.ledger.open_account("cash", type="asset")
        cash_id = Account.get(Account.code == cash).id
        Member.insert_many([{"number": f"B-{i:04d}", "name": f"Anggota {i}",
                             "email": f"m{i}@example.org", "stage": "active",
                             "joined_on": MONTHS[0]} for i in range(1, MEMBERS + 1)]).execute()
        ids = [m.id for m in Member.select(Member.id).order_by(Member.id)]
        Account.insert_many([{"code": f"{k}:m{m}", "name": f"{k}:m{m}", "type": "liability",
                              "kind": k, "member": m, "commodity": crm.currency}
                             for m in ids for k in KINDS]).execute()
        rows = [{"key": f"t:{k}:{m}:{d}", "kind": "savings.deposit", "memo": f"{k}:m{m}",
                 "effective_date": d, "actor": "test", "member": m, "meta": {}}
                for d in MONTHS for m in ids for k in KINDS]
        for i in range(0, len(rows), 500):
            JournalEntry.insert_many(rows[i:i + 500]).execute()
        db.execute_sql(
            "INSERT INTO posting (entry_id, account_id, amount, commodity) "
            f"SELECT e.id, {cash_id}, 25000, a.commodity FROM journal_entry e "
            "JOIN account a ON a.code = e.memo "
            "UNION ALL SELECT e.id, a.id, -25000, a.commodity FROM journal_entry e "
            "JOIN account a ON a.code = e.memo")
        Loan.insert_many([{"member": m, "product": "konsumtif", "terms": {}, "currency":
                           crm.currency, "amount": 6_000_000, "principal": 6_000_000,
                           "term": 12, "stage": "disbursed", "applied_on": MONTHS[0],
                           "applied_by": "test", "disbursed_on": MONTHS[0]}
                          for m in ids if m % 3 == 0]).execute()
        installments = [{"loan": loan_id, "number": n, "due_on": dt.date(2025, n, 25),
                         "principal": 500_000, "interest": 60_000,
                         "principal_paid": 500_000 if n <= 3 else 0,
                         "interest_paid": 60_000 if n <= 3 else 0,
                         "paid_on": dt.date(2025, n, 25) if n <= 3 else None}
                        for loan_id in [r.id for r in Loan.select(Loan.id)]
                        for n in range(1, 13)]
        for i in range(0, len(installments), 500):
            LoanInstallment.insert_many(installments[i:i + 500]).execute()
        chosen = next(m for m in ids if m % 3 == 0)
        SavingsMemberClass.insert_many([{"member": m, "member_class": "staf", "since": MONTHS[0],
                                         "set_by": "test"}
                                        for m in (chosen, *ids[-100:])]).execute()
    return chosen


def _hot_statements(crm, member_id: int) -> list[tuple[str, tuple]]:
    """SQL and parameters of one member's view, as the library sends them (and the
    balances again as of a date)."""
    from dyncrm_expand import rewards, savings
    from dyncrm_expand.loans.overview import member_loans

    captured: list[tuple[str, tuple]] = []
    original = crm.database.execute_sql

    def capture(sql, params=None, *args, **kwargs):
        captured.append((sql, tuple(params or ())))
        return original(sql, params, *args, **kwargs)

    crm.database.execute_sql = capture
    try:
        balances = savings.balances(crm, member_id)
        arrears = savings.wajib_arrears(crm, member_id, AS_OF)
        loans = member_loans(crm, member_id)
        points = rewards.balance(crm, member_id)
        assert len(captured) == 5  # one statement each, two for the wajib (class history)
        earlier = savings.balances(crm, member_id, as_of=MONTHS[1])
        rewards.balance(crm, member_id, as_of=MONTHS[1])
    finally:
        del crm.database.execute_sql
    assert int(balances["wajib"].amount) == 4 * 25_000  # the view is the real one
    assert int(earlier["wajib"].amount) == 2 * 25_000
    assert len(arrears) == 10  # 4 deposits of 25,000 pay 2 of 12 months of 50,000
    assert [g.next_due for g in loans] == [dt.date(2025, 4, 25)]
    assert [int(g.outstanding.amount) for g in loans] == [9 * 500_000]
    assert int(points.amount) == 0
    assert len(captured) == 7
    return [(sql, params) for sql, params in captured if sql.lstrip().upper().startswith(
        ("SELECT", "WITH"))]


NOT_ALIASES = {"WHERE", "JOIN", "LEFT", "INNER", "ON", "GROUP", "ORDER", "AS"}


def _aliases(sql: str) -> dict[str, str]:
    """``{alias: table}`` of a statement: peewee's (``"posting" AS "t2"``) or prepared
    text (``FROM account a JOIN posting p``)."""
    found = {alias: table for table, alias in re.findall(r'"(\w+)" AS "(\w+)"', sql)}
    found.update({alias: table for table, alias in re.findall(
        r"\b(?:FROM|JOIN)\s+(\w+)\s+(\w+)", sql) if alias.upper() not in NOT_ALIASES})
    tables = set(found.values()) | set(re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", sql))
    return {**{t: t for t in tables}, **found}


@pytest.fixture
def member_crm(make_crm):
    """A factory of CRMs with savings and loans, on SQLite or a server."""
    def factory(**kwargs):
        return make_crm(enabled=["expand.savings", "expand.loans"], **kwargs)
    return factory


def test_one_member_view_searches_only_that_members_rows_on_sqlite(member_crm) -> None:
    crm = member_crm()
    assert isinstance(crm.database, SqliteDatabase)
    statements = _hot_statements(crm, _fill(crm))
    seen = set()
    for sql, params in statements:
        tables = _aliases(sql)
        plan = [row[3] for row in crm.database.execute_sql("EXPLAIN QUERY PLAN " + sql,
                                                           params)]
        for line in plan:
            scan = re.match(r"SCAN (\w+)", line)
            if scan and scan.group(1) != "CONSTANT":
                pytest.fail(f"{tables.get(scan.group(1), scan.group(1))} is scanned:\n"
                            f"{sql}\n{plan}")
            search = re.match(r"SEARCH (\w+) USING .*\((.*)\)", line)
            if search:
                table = tables.get(search.group(1), search.group(1))
                seen.add(table)
                if table == "account":  # the member's accounts, not every one of a kind
                    assert re.search(r"\b(member_id|code|rowid)=", search.group(2)), \
                        f"account searched by {search.group(2)}:\n{sql}\n{plan}"
    assert {"account", "posting", "journal_entry", "loan", "loan_installment", "member",
            "savings_obligation", "savings_member_class"} <= seen


@pytest.mark.postgres
def test_one_member_view_uses_indexes_on_postgres(member_crm, pg_url) -> None:
    crm = member_crm(database_url=pg_url)
    member_id = _fill(crm)
    refresh_statistics(crm.database)
    for sql, params in _hot_statements(crm, member_id):
        plan = "\n".join(row[0] for row in crm.database.execute_sql("EXPLAIN " + sql, params))
        scanned = set(re.findall(r"Seq Scan on (\w+)", plan)) & BIG
        assert not scanned, f"sequential scan of {scanned}:\n{sql}\n{plan}"
