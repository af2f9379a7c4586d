"""The core and a pass through the plugins on a real MariaDB server (started by the test
run, see tests/mysql.py), reached through a ``mysql://`` URL like a deployment's.

Each test gets a fresh utf8mb4 database (``mysql_url``), so nothing here depends on order.
"""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import staff
from peewee import MySQLDatabase

from dyncrm.app import _supports_returning
from dyncrm.db.models import (
    Account,
    ActionKey,
    JournalEntry,
    Member,
    OutboxMessage,
    Posting,
    Touchpoint,
)
from dyncrm.errors import IllegalTransition, UnbalancedEntryError, ValidationError
from dyncrm.money import Money
from dyncrm.values import Actor, Leg

SYSTEM = Actor.system()

#: The plugins checked by hand on MariaDB before these tests existed.
PLUGINS = ["acquire.registration", "expand.savings", "expand.loans", "retain.feedback",
           "retain.faq"]

LOAN_PRODUCTS = {
    "konsumtif": {
        "name": "Pinjaman Konsumtif", "method": "flat", "rate": "1", "rate_unit": "per_month",
        "term_min": 1, "term_max": 12, "due_day": 25,
        "fees": [{"name": "provisi", "percent": "1", "mode": "deducted"}],
        "penalty": {"kind": "percent_per_month", "percent": "2"},
        "limits": {"max_savings_multiple": "3", "one_active_loan": True},
    },
}


class Clock:
    """A settable clock at 10:00 Jakarta time: ``clock.day = date`` moves 'today'."""

    def __init__(self, day: dt.date) -> None:
        self.day = day

    def __call__(self) -> dt.datetime:
        return dt.datetime(self.day.year, self.day.month, self.day.day, 3, 0)


def counts() -> dict[str, int]:
    """Rows per table that an action may write."""
    return {m.__name__: m.select().count()
            for m in (Member, Touchpoint, Account, JournalEntry, Posting, OutboxMessage,
                      ActionKey)}


def add_member(crm, name: str, *, active: bool = False) -> int:
    with crm.action("test.add_member", SYSTEM):
        member_id = Member.create(name=name, email=f"{name.lower()}@example.org").id
        if active:
            crm.lifecycle.transition(member_id, "approve", SYSTEM, on=dt.date(2024, 1, 2))
    return member_id


def idr(amount: int | str) -> Money:
    return Money.of(amount, "IDR")


@pytest.fixture
def my_crm(make_crm, mysql_url):
    """A migrated core-only CRM on its own MariaDB database."""
    crm = make_crm(database_url=mysql_url)
    assert isinstance(crm.database, MySQLDatabase)
    return crm


# --- the core -------------------------------------------------------------------------


def test_mysql_migrations_are_idempotent(my_crm) -> None:
    status = my_crm.migration_status()
    assert [(s.plugin, s.name) for s in status] == [("core", "0001_initial")]
    assert all(s.applied is not None for s in status)
    assert my_crm.upgrade() == []
    assert my_crm.upgrade() == []
    tables = set(my_crm.database.get_tables())
    assert {"member", "journal_entry", "posting", "outbox_message",
            "dyncrm_schema_migration"} <= tables


def test_mysql_ledger_balances_and_trial_balance(my_crm) -> None:
    crm = my_crm
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
    # MySQL's SUM over BIGINT is DECIMAL: the ledger must still hand out ints
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


def test_mysql_unbalanced_entry_leaves_nothing(my_crm) -> None:
    crm = my_crm
    with crm.action("test.accounts", SYSTEM):
        cash = crm.ledger.open_account("cash", type="asset")
        bank = crm.ledger.open_account("bank", type="asset")
    before = counts()
    with pytest.raises(UnbalancedEntryError), crm.action("test.bad", SYSTEM, key="bad:1"):
        crm.ledger.post([Leg(cash, crm.money("100")), Leg(bank, -crm.money("99"))],
                        kind="bad", actor="system")
    assert counts() == before


def test_mysql_failed_action_rolls_everything_back(my_crm) -> None:
    crm = my_crm
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


def test_mysql_replay_by_key_changes_nothing(my_crm) -> None:
    crm = my_crm
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


def test_mysql_member_lifecycle(my_crm) -> None:
    crm = my_crm
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


def test_mysql_touch_many_inserts_row_by_row_with_the_right_ids(my_crm) -> None:
    crm = my_crm
    assert not _supports_returning(crm.database)  # the per-row fallback is what runs here
    with crm.action("create", SYSTEM):
        ids = [Member.create(name=f"m{i}").id for i in range(5)]
        crm.touch(ids[2], "acquire", "of", "registration.seen", SYSTEM)  # ids interleave
        payloads = [{"n": i} for i in range(5)]
        recorded = crm.touch_many(ids, "acquire", "for", "promotion.reached", SYSTEM, payloads)
    assert [t.member_id for t in recorded] == ids
    assert len({t.id for t in recorded}) == 5
    stored = {row.id: row for row in Touchpoint.select().where(
        Touchpoint.kind == "promotion.reached")}
    assert sorted(stored) == sorted(t.id for t in recorded)
    for tp in recorded:
        assert (stored[tp.id].member_id, stored[tp.id].payload) == (tp.member_id, tp.payload)
    assert [t.kind for t in crm.timeline(ids[2])] == ["registration.seen", "promotion.reached"]


# --- the plugins ------------------------------------------------------------------------


def test_mysql_plugin_migrations_are_idempotent(make_crm, mysql_url) -> None:
    crm = make_crm(enabled=PLUGINS, database_url=mysql_url)
    applied = {s.plugin for s in crm.migration_status() if s.applied is not None}
    assert applied == {"core", *PLUGINS}
    assert crm.upgrade() == []


def test_mysql_savings_deposit_and_replay(make_crm, mysql_url) -> None:
    from dyncrm_expand import savings

    crm = make_crm(enabled=["expand.savings"], database_url=mysql_url,
                   clock=Clock(dt.date(2026, 2, 3)))
    cashier = staff(crm, "kasir", "cashier")
    member_id = add_member(crm, "Ani", active=True)
    first = savings.deposit(crm, cashier, member_id, "sukarela", "250.000", method="cash",
                            reference="SLIP-1")
    assert not first.replayed and first.status == "posted"
    before = counts()
    again = savings.deposit(crm, cashier, member_id, "sukarela", "250.000", method="cash",
                            reference="SLIP-1")
    assert again.replayed and again.id == first.id
    assert counts() == before
    with pytest.raises(ValidationError, match="SLIP-1"):
        savings.deposit(crm, cashier, member_id, "sukarela", "300.000", method="cash",
                        reference="SLIP-1")
    assert counts() == before
    balances = crm.ledger.balances_by_member(["savings.sukarela"])
    assert balances[member_id]["savings.sukarela"] == 250_000
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_mysql_a_loan_applied_approved_disbursed_and_repaid(make_crm, mysql_url) -> None:
    from dyncrm_expand import loans, savings

    clock = Clock(dt.date(2026, 1, 10))
    crm = make_crm(enabled=["expand.savings", "expand.loans"], database_url=mysql_url,
                   plugins={"expand.loans": {"products": LOAN_PRODUCTS}}, clock=clock)
    secretary = staff(crm, "sekretaris", "secretary")
    committee = staff(crm, "komite", "credit_committee")
    treasurer = staff(crm, "bendahara", "treasurer")
    cashier = staff(crm, "kasir", "cashier")
    member_id = add_member(crm, "Budi", active=True)
    savings.deposit(crm, cashier, member_id, "sukarela", "2.000.000", method="cash",
                    reference="FUND-1")
    loan, replayed = loans.apply(crm, secretary, member_id, "konsumtif", idr(3_000_000),
                                 term=3, reference="FORM-7")
    assert not replayed and not loan.reasons
    assert loans.apply(crm, secretary, member_id, "konsumtif", idr(3_000_000), term=3,
                       reference="FORM-7")[1]
    loans.approve(crm, committee, loan.id)
    loans.disburse(crm, treasurer, loan.id, method="cash", reference="OUT-1")
    clock.day = dt.date(2026, 2, 20)
    paid = loans.repay(crm, cashier, loan.id, idr(1_030_000), method="cash", reference="R1")
    assert not paid.replayed and not paid.closed
    before = counts()
    assert loans.repay(crm, cashier, loan.id, idr(1_030_000), method="cash",
                       reference="R1").replayed
    assert counts() == before
    quote = loans.payoff_quote(crm, loan.id)
    done = loans.repay(crm, cashier, loan.id, quote.total, method="cash", reference="R2",
                       payoff=True)
    assert done.closed
    assert crm.ledger.trial_balance() == {"IDR": 0}


def test_mysql_faq_search_uses_the_like_fallback(make_crm, mysql_url) -> None:
    from dyncrm_retain import faq_search, faq_store

    crm = make_crm(enabled=["retain.feedback", "retain.faq"], database_url=mysql_url)
    admin = staff(crm, "admin", "admin")
    entries = [("Bagaimana cara mengajukan pinjaman?",
                "Isi formulir **pengajuan** di kantor. Simpanan wajib harus lunas.", "pinjaman"),
               ("Kapan SHU dibagikan?", "Setelah RAT, bulan Maret, lewat rekening sukarela.",
                "shu"),
               ("Jam buka kantor?", "Senin–Jum'at 08.00–15.00. Kafe: *café* buka pukul 07.00.",
                "umum")]
    ids = [faq_store.add(crm, admin, question=q, answer=a, category=c, published=True).id
           for q, a, c in entries]
    hidden = faq_store.add(crm, admin, question="Draf: formulir baru", answer="belum").id
    assert faq_search.backend(crm) == "like"

    def found(query: str, **kw) -> list[int]:
        return [e.id for e in faq_search.search(crm, query, published_only=True, **kw)]

    assert found("FORMULIR") == [ids[0]]
    assert found("simpanan wajib") == [ids[0]]
    assert found("cafe jumat") == [ids[2]]
    assert found("CAFÉ") == [ids[2]]
    assert found("rekening maret") == [ids[1]]
    assert found("kantor") == [ids[2], ids[0]]  # a word of the question ranks first
    assert found("kantor", category="umum") == [ids[2]]
    assert found("100%") == [] and found("_") == []
    # unpublished entries only for staff views; the question's word ranks it first
    assert [e.id for e in faq_search.search(crm, "formulir", published_only=False)] == [
        hidden, ids[0]]


# --- no server needed ------------------------------------------------------------------


def test_mysql_url_password_reaches_pymysql_under_its_current_name() -> None:
    """playhouse.db_url passes ``passwd``, an alias PyMySQL deprecates; connect renames it."""
    from dyncrm.db.base import connect, db

    previous = db.obj
    try:
        database = connect("mysql://kasir:s3cret@127.0.0.1:3306/koperasi")  # not opened
        assert isinstance(database, MySQLDatabase)
        assert database.connect_params["password"] == "s3cret"
        assert "passwd" not in database.connect_params
    finally:
        db.initialize(previous)


def test_missing_mariadb_binaries_are_named(monkeypatch) -> None:
    import mysql

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(mysql, "FALLBACK_BIN_DIRS", ())
    with pytest.raises(mysql.MariaDBUnavailable, match="'mariadb-install-db' is not on PATH"):
        mysql.find_binaries()


@pytest.mark.parametrize(("ci", "outcome"), [("true", "fail"), ("1", "fail"), ("", "skip"),
                                             ("false", "skip")])
def test_unavailable_mariadb_skips_except_in_ci(monkeypatch, ci: str, outcome: str) -> None:
    import mysql

    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match=r"MariaDB tests .*no mariadbd here"):
        mysql.unavailable("no mariadbd here")
