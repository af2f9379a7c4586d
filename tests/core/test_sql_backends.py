"""The core on every server database dyncrm supports: PostgreSQL and MariaDB/MySQL.

Each server is started by the test run (tests/pg.py, tests/mysql.py) and each test gets
a fresh database on it; SQLite is what the rest of the suite runs on.  What only one
server needs (concurrency on PostgreSQL, the plugins and the no-RETURNING path on
MariaDB) stays in test_postgres.py and test_mysql.py.
"""

from __future__ import annotations

import datetime as dt

import pytest
from peewee import MySQLDatabase, PostgresqlDatabase
from tables import add_member, counts

from dyncrm.errors import IllegalTransition, UnbalancedEntryError, ValidationError
from dyncrm.plugins import package_path
from dyncrm.testing import staff
from dyncrm.values import Actor, Leg

SYSTEM = Actor.operator()
BACKENDS = {"pg_url": PostgresqlDatabase, "mysql_url": MySQLDatabase}


@pytest.fixture(params=[pytest.param("pg_url", marks=pytest.mark.postgres, id="postgres"),
                        pytest.param("mysql_url", marks=pytest.mark.mysql, id="mysql")])
def backend_crm(request, make_crm):
    """A migrated core-only CRM on its own database of each server."""
    crm = make_crm(database_url=request.getfixturevalue(request.param))
    assert isinstance(crm.database, BACKENDS[request.param])
    return crm


def test_migrations_are_idempotent(backend_crm) -> None:
    status = backend_crm.migration_status()
    core = sorted(p.stem for p in package_path("dyncrm", "migrations").glob("[0-9]*.py"))
    assert [(s.plugin, s.name) for s in status] == [("core", name) for name in core]
    assert all(s.applied is not None for s in status)
    assert backend_crm.upgrade() == []
    assert backend_crm.upgrade() == []
    tables = set(backend_crm.database.get_tables())
    assert {"member", "journal_entry", "posting", "outbox_message",
            "dyncrm_schema_migration"} <= tables


def test_ledger_balances_and_trial_balance(backend_crm) -> None:
    crm = backend_crm
    ids = [add_member(crm, n) for n in ("Ani", "Budi", "Citra")]
    with crm.action("test.deposits", SYSTEM):
        cash = crm.ledger.open_account("cash", type="asset")
        for i, member_id in enumerate(ids, start=1):
            savings = crm.ledger.open_account("savings.pokok", type="liability",
                                              member_id=member_id)
            crm.ledger.transfer(crm.money(f"{i}.000.000"), debit=cash, credit=savings,
                                kind="savings.deposit", actor="system", member_id=member_id,
                                key=f"dep:{member_id}", on=dt.date(2026, 1, i))
        fee = crm.ledger.open_account("income.fees", type="income")
        crm.ledger.post([Leg(crm.ledger.open_account("savings.pokok", type="liability",
                                                     member_id=ids[0]), crm.money("2500")),
                         Leg(fee, -crm.money("2500"))],
                        kind="fee", actor="system", member_id=ids[0], on=dt.date(2026, 2, 1))
    by_member = crm.ledger.balances_by_member(["savings.pokok"])
    assert by_member == {ids[0]: {"savings.pokok": 997_500},
                         ids[1]: {"savings.pokok": 2_000_000},
                         ids[2]: {"savings.pokok": 3_000_000}}
    # SUM over BIGINT is DECIMAL on MySQL and NUMERIC on PostgreSQL: still ints
    assert all(type(v) is int for kinds in by_member.values() for v in kinds.values())
    early = crm.ledger.balances_by_member(["savings.pokok"], as_of=dt.date(2026, 1, 2))
    assert early == {ids[0]: {"savings.pokok": 1_000_000}, ids[1]: {"savings.pokok": 2_000_000}}
    late = crm.ledger.balances_by_member(["savings.pokok"], since=dt.date(2026, 1, 3))
    assert late == {ids[0]: {"savings.pokok": -2_500}, ids[2]: {"savings.pokok": 3_000_000}}
    assert crm.ledger.trial_balance() == {"IDR": 0}
    assert crm.ledger.balance("cash") == crm.money("6.000.000")
    assert crm.ledger.balance("income.fees") == crm.money("2500")
    assert crm.ledger.totals_by_kind()[("savings.pokok", "IDR")] == 5_997_500
    assert [line["balance"] for line in crm.ledger.statement(cash)] == [
        crm.money(f"{n}.000.000") for n in (1, 3, 6)]


def test_unbalanced_entry_leaves_nothing(backend_crm) -> None:
    crm = backend_crm
    with crm.action("test.accounts", SYSTEM):
        cash = crm.ledger.open_account("cash", type="asset")
        bank = crm.ledger.open_account("bank", type="asset")
    before = counts()
    with pytest.raises(UnbalancedEntryError), crm.action("test.bad", SYSTEM, key="bad:1"):
        crm.ledger.post([Leg(cash, crm.money("100")), Leg(bank, -crm.money("99"))],
                        kind="bad", actor="system")
    assert counts() == before


def test_failed_action_rolls_everything_back(backend_crm) -> None:
    crm = backend_crm
    member_id = add_member(crm, "Dewi")
    before = counts()
    with pytest.raises(ValidationError, match="refused on purpose"), \
            crm.action("test.approve", SYSTEM, key="approve:dewi"):
        crm.lifecycle.transition(member_id, "approve", SYSTEM)
        cash = crm.ledger.open_account("cash", type="asset")
        pokok = crm.ledger.open_account("savings.pokok", type="liability", member_id=member_id)
        crm.ledger.transfer(crm.money("100.000"), debit=cash, credit=pokok, kind="deposit",
                            actor="system", key="entry:dewi")
        crm.notify_member(member_id, "messages/base.txt", kind="welcome", key="welcome:dewi",
                          subject="Welcome", body="Hello")
        raise ValidationError("refused on purpose")
    assert counts() == before
    assert crm.member(member_id).stage == "applicant"
    # the key was never recorded, so the action can run for real afterwards
    with crm.action("test.approve", SYSTEM, key="approve:dewi") as act:
        assert not act.replayed
        crm.lifecycle.transition(member_id, "approve", SYSTEM)
        act.done(stage="active")
    assert crm.member(member_id).stage == "active"


def test_replay_by_key_changes_nothing(backend_crm) -> None:
    crm = backend_crm
    member_id = add_member(crm, "Eka")

    def deposit() -> tuple[bool, dict]:
        with crm.action("savings.deposit", SYSTEM, key="deposit:eka:1") as act:
            if act.replayed:
                return True, act.previous
            cash = crm.ledger.open_account("cash", type="asset")
            pokok = crm.ledger.open_account("savings.pokok", type="liability",
                                            member_id=member_id)
            result = crm.ledger.transfer(crm.money("50.000"), debit=cash, credit=pokok,
                                         kind="deposit", actor="system", key="entry:eka:1")
            act.done(entry=result.entry.id)
            return False, act.result

    replayed, first = deposit()
    assert not replayed
    after_first = counts()
    replayed, second = deposit()
    assert replayed and second == first
    assert counts() == after_first
    with crm.action("test.again", SYSTEM):
        again = crm.ledger.transfer(crm.money("50.000"), debit="cash",
                                    credit=f"savings.pokok:m{member_id}", kind="deposit",
                                    actor="system", key="entry:eka:1")
    assert again.replayed and again.entry.id == first["entry"]
    assert counts() == after_first
    assert crm.ledger.balances_by_member(["savings.pokok"]) == {
        member_id: {"savings.pokok": 50_000}}


def test_member_lifecycle(backend_crm) -> None:
    crm = backend_crm
    secretary = staff(crm, "sekretaris", "secretary")
    member_id = add_member(crm, "Hadi")
    steps = [("approve", "active"), ("request_leave", "leaving"), ("cancel_leave", "active"),
             ("request_leave", "leaving"), ("complete_leave", "inactive")]
    for i, (action, stage) in enumerate(steps):
        with crm.action(f"member.{action}", secretary, key=f"hadi:{i}"):
            change = crm.lifecycle.transition(member_id, action, secretary,
                                              on=dt.date(2026, 3, 1 + i))
        assert change.new_stage == stage
    info = crm.member(member_id)
    assert info.stage == "inactive"
    assert info.joined_on == dt.date(2026, 3, 1)
    assert info.left_on == dt.date(2026, 3, 5)
    assert [t.kind for t in crm.timeline(member_id)] == [f"stage.{a}" for a, _ in steps]
    before = counts()
    with pytest.raises(IllegalTransition, match="'inactive'"), \
            crm.action("member.approve", secretary):
        crm.lifecycle.transition(member_id, "approve", secretary)
    assert counts() == before
    assert crm.member(member_id).stage == "inactive"
