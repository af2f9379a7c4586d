"""The core against a real PostgreSQL server (started by the test run, see tests/pg.py);
what every server database must do is in test_sql_backends.py.

Each test gets a fresh database (``pg_url``), so nothing here depends on order.
"""

from __future__ import annotations

import threading

import pytest
from peewee import PostgresqlDatabase
from tables import add_member, counts

from dyncrm.db.models import (
    JournalEntry,
    Member,
)
from dyncrm.errors import DyncrmError
from dyncrm.values import Actor

SYSTEM = Actor.operator()


@pytest.fixture
def pg_crm(make_crm, pg_url):
    """A migrated core-only CRM on its own PostgreSQL database."""
    crm = make_crm(database_url=pg_url)
    assert isinstance(crm.database, PostgresqlDatabase)
    return crm


def test_postgres_fresh_database_reports_pending(make_crm, pg_url) -> None:
    crm = make_crm(database_url=pg_url)  # migrated by the factory
    crm.database.execute_sql("DROP SCHEMA public CASCADE")
    crm.database.execute_sql("CREATE SCHEMA public")
    status = crm.migration_status()
    assert status and all(s.applied is None for s in status)
    assert crm.upgrade() == [f"core:{s.name}" for s in status]
    assert crm.upgrade() == []


def test_postgres_concurrent_same_key_waits_and_replays(pg_crm) -> None:
    """Two connections run the same keyed action at once: the second waits for the
    first to commit and then sees an ordinary replay; nothing is written twice."""
    crm = pg_crm
    member_id = add_member(crm, "Fajar")
    before = counts()
    first_wrote, second_done = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def run(name: str) -> None:
        # peewee keeps one connection per thread: each thread is its own session
        try:
            if name == "second":
                assert first_wrote.wait(10)
            with crm.action("savings.deposit", SYSTEM, key="deposit:fajar") as act:
                if act.replayed:
                    outcome[name] = ("replayed", act.previous)
                    return
                crm.touch(member_id, "expand", "by", "savings.deposit", SYSTEM, {"by": name})
                act.done(by=name)
                if name == "first":
                    first_wrote.set()
                    # the second session is blocked on our uncommitted key
                    outcome["second_finished_early"] = second_done.wait(0.5)
            outcome[name] = "done"
        except DyncrmError as exc:
            outcome[name] = exc
        finally:
            if name == "second":
                second_done.set()
            first_wrote.set()
            crm.database.close()

    threads = [threading.Thread(target=run, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcome == {"first": "done", "second": ("replayed", {"by": "first"}),
                       "second_finished_early": False}, outcome
    after = counts()
    assert after["Touchpoint"] == before["Touchpoint"] + 1
    assert after["ActionKey"] == before["ActionKey"] + 1
    assert [t.payload["by"] for t in crm.timeline(member_id)] == ["first"]


def test_postgres_concurrent_duplicate_entry_key(pg_crm) -> None:
    """The same journal-entry key from two connections: one entry; the second
    waits for the first and gets it back as a replay."""
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
    assert outcome["second"].replayed
    assert outcome["second"].entry.id == outcome["first"].entry.id
    assert outcome["second"].entry.actor == "first"
    assert JournalEntry.select().where(JournalEntry.key == "entry:gita").count() == 1
    assert crm.ledger.trial_balance() == {"IDR": 0}
    assert crm.ledger.balance(pokok) == crm.money("10.000")


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
