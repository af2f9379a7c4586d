"""The core against a real PostgreSQL server (started by the test run, see tests/pg.py).

Each test gets a fresh database (``pg_url``), so nothing here depends on order.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from conftest import staff
from peewee import PostgresqlDatabase

from dyncrm.db.models import (
    Account,
    ActionKey,
    JournalEntry,
    Member,
    OutboxMessage,
    Posting,
    Touchpoint,
)
from dyncrm.errors import DyncrmError, IllegalTransition, UnbalancedEntryError, ValidationError
from dyncrm.values import Actor, Leg

SYSTEM = Actor.system()


def counts() -> dict[str, int]:
    """Rows per table that an action may write."""
    return {m.__name__: m.select().count()
            for m in (Member, Touchpoint, Account, JournalEntry, Posting, OutboxMessage,
                      ActionKey)}


def add_member(crm, name: str, *, email: str | None = None) -> int:
    with crm.action("test.add_member", SYSTEM):
        return Member.create(name=name, email=email or f"{name.lower()}@example.org").id


@pytest.fixture
def pg_crm(make_crm, pg_url):
    """A migrated core-only CRM on its own PostgreSQL database."""
    crm = make_crm(database_url=pg_url)
    assert isinstance(crm.database, PostgresqlDatabase)
    return crm


def test_postgres_migrations_are_idempotent(pg_crm) -> None:
    status = pg_crm.migration_status()
    assert [(s.plugin, s.name) for s in status] == [("core", "0001_initial")]
    assert all(s.applied is not None for s in status)
    assert pg_crm.upgrade() == []
    assert pg_crm.upgrade() == []
    tables = set(pg_crm.database.get_tables())
    assert {"member", "journal_entry", "posting", "outbox_message",
            "dyncrm_schema_migration"} <= tables


def test_postgres_fresh_database_reports_pending(make_crm, pg_url) -> None:
    crm = make_crm(database_url=pg_url)  # migrated by the factory
    crm.database.execute_sql("DROP SCHEMA public CASCADE")
    crm.database.execute_sql("CREATE SCHEMA public")
    assert [s.applied for s in crm.migration_status()] == [None]
    assert crm.upgrade() == ["core:0001_initial"]
    assert crm.upgrade() == []


def test_postgres_ledger_balances_and_trial_balance(pg_crm) -> None:
    crm = pg_crm
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
    assert all(isinstance(v, int) for kinds in by_member.values() for v in kinds.values())
    early = crm.ledger.balances_by_member(["savings.pokok"], as_of=dt.date(2026, 1, 2))
    assert early == {ids[0]: {"savings.pokok": 1_000_000}, ids[1]: {"savings.pokok": 2_000_000}}
    assert crm.ledger.trial_balance() == {"IDR": 0}
    assert crm.ledger.balance("cash") == crm.money("6.000.000")
    assert crm.ledger.balance("income.fees") == crm.money("2500")
    assert crm.ledger.totals_by_kind()[("savings.pokok", "IDR")] == 5_997_500


def test_postgres_unbalanced_entry_leaves_nothing(pg_crm) -> None:
    crm = pg_crm
    with crm.action("test.accounts", SYSTEM):
        cash = crm.ledger.open_account("cash", type="asset")
        bank = crm.ledger.open_account("bank", type="asset")
    before = counts()
    with pytest.raises(UnbalancedEntryError), crm.action("test.bad", SYSTEM, key="bad:1"):
        crm.ledger.post([Leg(cash, crm.money("100")), Leg(bank, -crm.money("99"))],
                        kind="bad", actor="system")
    assert counts() == before


def test_postgres_failed_action_rolls_everything_back(pg_crm) -> None:
    crm = pg_crm
    member_id = add_member(crm, "Dewi")
    before = counts()
    with pytest.raises(ValidationError, match="refused on purpose"), \
            crm.action("test.approve", SYSTEM, key="approve:dewi"):
        crm.lifecycle.transition(member_id, "approve", SYSTEM)
        cash = crm.ledger.open_account("cash", type="asset")
        pokok = crm.ledger.open_account("savings.pokok", type="liability", member_id=member_id)
        crm.ledger.transfer(crm.money("100.000"), debit=cash, credit=pokok, kind="deposit",
                            actor="system", key="dep:dewi")
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


def test_postgres_replay_by_key_changes_nothing(pg_crm) -> None:
    crm = pg_crm
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
    # the ledger's own key is idempotent too
    with crm.action("test.again", SYSTEM):
        again = crm.ledger.transfer(crm.money("50.000"), debit="cash",
                                    credit=f"savings.pokok:m{member_id}", kind="deposit",
                                    actor="system", key="entry:eka:1")
    assert again.replayed and again.entry.id == first["entry"]
    assert counts() == after_first
    assert crm.ledger.balances_by_member(["savings.pokok"]) == {
        member_id: {"savings.pokok": 50_000}}


def test_postgres_concurrent_duplicate_key_is_refused(pg_crm) -> None:
    """Two connections run the same keyed action at once: one wins, the other
    is refused and leaves nothing behind."""
    crm = pg_crm
    member_id = add_member(crm, "Fajar")
    with crm.action("test.accounts", SYSTEM):
        crm.ledger.open_account("cash", type="asset")
        crm.ledger.open_account("savings.pokok", type="liability", member_id=member_id)
    before = counts()
    first_wrote, second_checked = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def run(name: str, wait_for: threading.Event | None, signal: threading.Event) -> None:
        # peewee keeps one connection per thread: each thread is its own session
        try:
            if wait_for is not None:
                assert wait_for.wait(10)
            with crm.action("savings.deposit", SYSTEM, key="deposit:fajar") as act:
                if act.replayed:
                    outcome[name] = "replayed"
                    return
                crm.touch(member_id, "expand", "by", "savings.deposit", SYSTEM, {"by": name})
                signal.set()
                if name == "first":
                    assert second_checked.wait(10)
            outcome[name] = "done"
        except DyncrmError as exc:
            outcome[name] = exc
        finally:
            signal.set()
            crm.database.close()

    threads = [threading.Thread(target=run, args=("first", None, first_wrote)),
               threading.Thread(target=run, args=("second", first_wrote, second_checked))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    # whichever records the key first wins; the other rolls back with a clear error
    winners = [n for n, o in outcome.items() if o == "done"]
    losers = [o for o in outcome.values() if isinstance(o, DyncrmError)]
    assert len(winners) == 1 and len(losers) == 1, outcome
    assert "completed concurrently; nothing was changed" in str(losers[0])
    after = counts()
    assert after["Touchpoint"] == before["Touchpoint"] + 1
    assert after["ActionKey"] == before["ActionKey"] + 1
    assert [t.payload["by"] for t in crm.timeline(member_id)] == winners
    # and a third run afterwards is an ordinary replay
    with crm.action("savings.deposit", SYSTEM, key="deposit:fajar") as act:
        assert act.replayed
    assert counts() == after


def test_postgres_concurrent_duplicate_entry_key(pg_crm) -> None:
    """The same journal-entry key from two connections: one entry, one clear refusal."""
    crm = pg_crm
    member_id = add_member(crm, "Gita")
    with crm.action("test.accounts", SYSTEM):
        cash = crm.ledger.open_account("cash", type="asset")
        pokok = crm.ledger.open_account("savings.pokok", type="liability", member_id=member_id)
    first_posted, second_checked = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def run(name: str) -> None:
        try:
            if name == "second":
                assert first_posted.wait(10)
            with crm.action("savings.deposit", SYSTEM):
                result = crm.ledger.transfer(crm.money("10.000"), debit=cash, credit=pokok,
                                             kind="deposit", actor=name, key="entry:gita")
                if name == "first":
                    first_posted.set()
                    assert second_checked.wait(0.5) is False  # second blocks on our row
            outcome[name] = result
        except DyncrmError as exc:
            outcome[name] = exc
        finally:
            first_posted.set()
            second_checked.set()
            crm.database.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not outcome["first"].replayed
    assert isinstance(outcome["second"], ValidationError)
    assert "already in use" in str(outcome["second"])
    assert JournalEntry.select().where(JournalEntry.key == "entry:gita").count() == 1
    assert crm.ledger.trial_balance() == {"IDR": 0}
    assert crm.ledger.balance(pokok) == crm.money("10.000")


def test_postgres_member_lifecycle(pg_crm) -> None:
    crm = pg_crm
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
    kinds = [t.kind for t in crm.timeline(member_id)]
    assert kinds == [f"stage.{a}" for a, _ in steps]
    before = counts()
    with pytest.raises(IllegalTransition, match="'inactive'"), \
            crm.action("member.approve", secretary):
        crm.lifecycle.transition(member_id, "approve", secretary)
    assert counts() == before
    assert crm.member(member_id).stage == "inactive"


def test_postgres_touch_many_returns_every_id(pg_crm) -> None:
    with pg_crm.action("create", SYSTEM):
        ids = [Member.create(name=f"m{i}").id for i in range(4)]
        recorded = pg_crm.touch_many(ids, "acquire", "for", "promotion.reached", SYSTEM)
    assert [t.member_id for t in recorded] == ids
    assert sorted(t.id for t in recorded) == sorted(
        t.id for m in ids for t in pg_crm.timeline(m))


# --- the fixture's own rules (no server needed) -------------------------------------


def test_missing_binaries_are_named(monkeypatch) -> None:
    import pg

    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(pg, "FALLBACK_BIN_DIRS", ())
    with pytest.raises(pg.PostgresUnavailable, match="'initdb' is not on PATH"):
        pg.find_binaries()


@pytest.mark.parametrize(("ci", "outcome"), [("true", "fail"), ("1", "fail"), ("", "skip"),
                                             ("false", "skip")])
def test_unavailable_server_skips_except_in_ci(monkeypatch, ci: str, outcome: str) -> None:
    import pg

    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if outcome == "fail" else pytest.skip.Exception
    with pytest.raises(expected, match="no initdb here"):
        pg.unavailable("no initdb here")
