"""The core's concurrency rules on real databases: actions begin as writers, locks only
inside actions, busy and duplicate-key failures become clear, retryable errors.

The races between real processes are in tests/expand/test_races.py.
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from peewee import PostgresqlDatabase
from tables import add_member, counts

from dyncrm.cli import ExitCode, concurrency_error
from dyncrm.db.concurrency import busy_error, is_busy, is_unique_violation, lock_names
from dyncrm.db.models import Counter, NamedLock
from dyncrm.errors import ConcurrentDuplicate, DatabaseBusy, PluginError
from dyncrm.values import Actor

SYSTEM = Actor.operator()


def sqlite_path(crm) -> str:
    return crm.database.database


def short_busy_timeout(crm, ms: int = 300) -> None:
    """Reopen the connection with a short busy timeout, so a test need not wait 10 s."""
    crm.database._pragmas = [(k, ms if k == "busy_timeout" else v)
                             for k, v in crm.database._pragmas]
    crm.close()
    crm.database.connect()


def test_lock_outside_an_action_is_refused(crm) -> None:
    with pytest.raises(PluginError, match=r"crm.lock\(\) was called outside crm.action"):
        crm.lock(["account:cash"])
    with pytest.raises(PluginError):
        crm.ledger.lock(["cash"])
    with crm.action("test.lock", SYSTEM):
        assert crm.ledger.lock(["savings.sukarela:m9", "cash"]) == [
            "account:cash", "account:savings.sukarela:m9"]
        assert crm.lock("loan:1") == ["loan:1"]
        # on SQLite BEGIN IMMEDIATE already holds the only write lock: no rows needed
        assert NamedLock.select().count() == 0
    assert not crm.in_action()


def test_sqlite_action_begins_immediate_and_waits_for_the_writer(crm) -> None:
    """Another connection holds the write lock: the action waits up to the busy
    timeout, then says the database is busy and writes nothing."""
    short_busy_timeout(crm, 300)
    before = counts()
    other = sqlite3.connect(sqlite_path(crm), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        with pytest.raises(DatabaseBusy, match="the database is busy") as caught, \
                crm.action("test.busy", SYSTEM):
            pytest.fail("the body must not run without the write lock")
        waited = time.monotonic() - started
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert 0.25 <= waited < 3
    assert caught.value.exit_code == ExitCode.TEMPFAIL == 75 and caught.value.retryable
    assert counts() == before
    # the writer gone, the same action runs
    with crm.action("test.busy", SYSTEM):
        add_member(crm, "Ani")


def test_sqlite_write_lock_is_held_from_the_start(crm) -> None:
    """Inside an action, a second connection cannot start writing (BEGIN IMMEDIATE)."""
    with crm.action("test.holds", SYSTEM):
        other = sqlite3.connect(sqlite_path(crm), timeout=0.05, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="database is locked") as raw:
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
    assert is_busy(raw.value)
    assert isinstance(busy_error(raw.value), DatabaseBusy)


def test_busy_errors_escaping_elsewhere_exit_75(crm) -> None:
    """A 'database is locked' from outside an action is still not a bug."""
    holder = sqlite3.connect(sqlite_path(crm), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        crm.database.execute_sql("PRAGMA busy_timeout = 0")
        with pytest.raises(Exception) as raised:
            crm.database.execute_sql("INSERT INTO counter (name, value) VALUES ('x', 1)")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    mapped = concurrency_error(raised.value)
    assert isinstance(mapped, DatabaseBusy) and mapped.exit_code == 75
    assert "nothing was changed, try again" in str(mapped)
    assert concurrency_error(ValueError("database is locked")) is None


def test_duplicate_key_escaping_an_action_is_a_clear_retryable_error(crm) -> None:
    with crm.action("test.counter", SYSTEM):
        Counter.insert(name="shared", value=1).execute()
    before = counts()
    with pytest.raises(ConcurrentDuplicate, match=r"test\.counter: another user or job "
                       r"recorded the same thing at the same moment") as caught, \
            crm.action("test.counter", SYSTEM, key="once"):
        add_member(crm, "Budi")
        Counter.insert(name="shared", value=2).execute()
    assert is_unique_violation(caught.value.__cause__)
    assert caught.value.exit_code == 75
    assert counts() == before  # the member and the key were rolled back too


def test_same_key_inside_one_process_is_an_ordinary_replay(crm) -> None:
    with crm.action("test.keyed", SYSTEM, key="k1") as act:
        assert not act.replayed
        act.done(n=1)
    with crm.action("test.keyed", SYSTEM, key="k1") as act:
        assert act.replayed and act.previous == {"n": 1}
    # a nested action with a key: claimed in a savepoint, rolled back with it
    with crm.action("test.outer", SYSTEM):
        with pytest.raises(RuntimeError), crm.action("test.inner", SYSTEM, key="k2"):
            raise RuntimeError("inner fails")
        with crm.action("test.inner", SYSTEM, key="k2") as act:
            assert not act.replayed


@pytest.fixture(params=[pytest.param("pg_url", marks=pytest.mark.postgres, id="postgres"),
                        pytest.param("mysql_url", marks=pytest.mark.mysql, id="mysql")])
def server_crm(request, make_crm):
    """A core-only CRM on a fresh database of each server."""
    return make_crm(database_url=request.getfixturevalue(request.param))


def test_server_lock_waits_for_the_holder_then_sees_its_writes(server_crm) -> None:
    """Two sessions lock the same (new) name: the second waits until the first commits
    and then reads what it wrote."""
    crm = server_crm
    member_id = add_member(crm, "Citra")
    held, seen = threading.Event(), {}

    def first() -> None:
        try:
            with crm.action("test.first", SYSTEM):
                crm.ledger.lock([f"savings.sukarela:m{member_id}"])
                held.set()
                time.sleep(0.5)
                crm.touch(member_id, "expand", "by", "first", SYSTEM)
        finally:
            held.set()
            crm.database.close()

    def second() -> None:
        try:
            assert held.wait(10)
            started = time.monotonic()
            with crm.action("test.second", SYSTEM):
                crm.ledger.lock([f"savings.sukarela:m{member_id}"])
                seen["waited"] = time.monotonic() - started
                seen["kinds"] = [t.kind for t in crm.timeline(member_id)]
        finally:
            crm.database.close()

    threads = [threading.Thread(target=f) for f in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert seen["waited"] >= 0.3
    assert "first" in seen["kinds"]
    assert NamedLock.select().count() == 1


def test_server_lock_wait_beyond_the_timeout_is_busy(server_crm) -> None:
    crm = server_crm
    held, done = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with crm.action("test.holder", SYSTEM):
                crm.lock(["loan:1"])
                held.set()
                done.wait(10)
        finally:
            held.set()
            crm.database.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert held.wait(10)
        if isinstance(crm.database, PostgresqlDatabase):
            crm.database.execute_sql("SET lock_timeout = 300")
        else:
            crm.database.execute_sql("SET SESSION innodb_lock_wait_timeout = 1")
        with pytest.raises(DatabaseBusy, match="the database is busy"), \
                crm.action("test.waiter", SYSTEM):
            lock_names(crm.database, ["loan:1"])
    finally:
        done.set()
        thread.join(30)
        crm.database.close()
