"""Concurrent writers: write transactions, named locks, busy and duplicate-key errors.

Several processes may act on one database at once (two cashiers, a cron job,
the payroll import).  Everything that checks a balance, a limit or a stock and
then writes must hold a lock on what it checked; this module is the core's one
way to take such locks, on every backend:

* :func:`write_transaction` starts an action's transaction.  On SQLite it is
  ``BEGIN IMMEDIATE``: the database's single write lock is taken at the start,
  so every action is serialised and reads the latest committed data.  When the
  lock cannot be had it retries with backoff until the configured busy timeout
  has passed, then raises :class:`~dyncrm.errors.DatabaseBusy`.
* :func:`lock_names` takes exclusive locks on names (``account:cash``,
  ``rewards.item:payung``), held until the transaction ends.  They are rows of
  the ``named_lock`` table, locked with ``SELECT ... FOR UPDATE`` on
  PostgreSQL and MariaDB/MySQL (created on first use, so a lock on an account
  that does not exist yet works too).  On SQLite the write transaction already
  excludes every other writer, so nothing more is needed.
* :func:`share_names` takes shared locks on the same names: holders of a
  shared lock go on side by side, and an exclusive lock waits for them all
  (the ledger share-locks the month it posts into; closing the month takes
  it exclusively, see :mod:`dyncrm.periods`).
* :func:`busy_error` and :func:`is_unique_violation` classify driver errors of
  the three backends, so callers never show a raw ``OperationalError`` or
  ``IntegrityError``.

Server sessions are prepared by :func:`prepare_sessions`: MariaDB/MySQL run in
``READ COMMITTED`` (as PostgreSQL does by default), so a statement after a lock
sees what the previous holder committed; both servers wait at most the busy
timeout for a row lock.
"""

from __future__ import annotations

import contextlib
import random
import sqlite3
import time
from collections.abc import Iterable, Iterator
from typing import Any

from peewee import MySQLDatabase, PostgresqlDatabase, SqliteDatabase

from dyncrm.errors import DatabaseBusy

#: Seconds a writer waits for a lock before giving up (SQLite's busy timeout,
#: PostgreSQL's ``lock_timeout``, MariaDB's ``innodb_lock_wait_timeout``).
DEFAULT_TIMEOUT = 10.0

#: SQLite result codes (primary) meaning "another connection holds the lock".
_SQLITE_BUSY = frozenset({5, 6})  # SQLITE_BUSY, SQLITE_LOCKED
#: PostgreSQL SQLSTATEs: deadlock, serialization failure, lock timeout.
_PG_BUSY = frozenset({"40P01", "40001", "55P03"})
#: MariaDB/MySQL errors: lock wait timeout, deadlock, record changed (snapshot
#: isolation), NOWAIT lock not granted.
_MYSQL_BUSY = frozenset({1205, 1213, 1020, 3572})
_SQLITE_BUSY_TEXT = ("database is locked", "database table is locked", "database is busy")


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and the driver exceptions behind it (peewee wraps them as ``args[0]``)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        if current.args and isinstance(current.args[0], BaseException):
            todo.append(current.args[0])
        todo.extend(c for c in (current.__cause__, current.__context__) if c is not None)


def _sqlstate(exc: BaseException) -> str | None:
    return getattr(exc, "pgcode", None) or getattr(exc, "sqlstate", None)


def _mysql_errno(exc: BaseException) -> int | None:
    if type(exc).__module__.startswith(("pymysql", "MySQLdb", "mysql")) and exc.args \
            and isinstance(exc.args[0], int):
        return exc.args[0]
    return None


def is_busy(exc: BaseException) -> bool:
    """True when ``exc`` means "another writer holds the lock; try again".

    SQLite ``database is locked``/``SQLITE_BUSY``; PostgreSQL deadlock,
    serialization failure or lock timeout; MariaDB/MySQL lock wait timeout
    (1205) or deadlock (1213).  Such a failure changed nothing.
    """
    for cause in _causes(exc):
        if isinstance(cause, sqlite3.Error):
            code = getattr(cause, "sqlite_errorcode", None)
            if code is not None and code & 0xFF in _SQLITE_BUSY:
                return True
            if any(text in str(cause).lower() for text in _SQLITE_BUSY_TEXT):
                return True
        if _sqlstate(cause) in _PG_BUSY:
            return True
        if _mysql_errno(cause) in _MYSQL_BUSY:
            return True
    return False


def busy_error(exc: BaseException, timeout: float | None = None) -> DatabaseBusy | None:
    """The :class:`DatabaseBusy` to raise for ``exc``, or ``None`` if it is not one."""
    if isinstance(exc, DatabaseBusy):
        return exc
    if not is_busy(exc):
        return None
    waited = f" for {timeout:g} seconds" if timeout else ""
    return DatabaseBusy(f"the database is busy: another user or job held the lock{waited}; "
                        "nothing was changed, try again in a moment",
                        cause=str(exc).strip() or type(exc).__name__)


def is_unique_violation(exc: BaseException) -> bool:
    """True when ``exc`` is a duplicate key: the row exists, maybe committed a moment ago."""
    for cause in _causes(exc):
        if isinstance(cause, sqlite3.IntegrityError):
            code = getattr(cause, "sqlite_errorcode", None)
            if code in (1555, 2067) or "UNIQUE constraint failed" in str(cause):
                return True
        if _sqlstate(cause) == "23505":
            return True
        if _mysql_errno(cause) in (1062, 1586):
            return True
    return False


def timeout_of(database: Any) -> float:
    """The busy timeout of ``database`` in seconds (SQLite's ``busy_timeout`` pragma)."""
    database = getattr(database, "obj", database)
    for name, value in getattr(database, "_pragmas", ()) or ():
        if name == "busy_timeout":
            return int(value) / 1000
    return DEFAULT_TIMEOUT


def prepare_sessions(database: Any, timeout: float = DEFAULT_TIMEOUT) -> None:
    """Set every new server connection's isolation level and lock wait.

    MariaDB/MySQL: ``READ COMMITTED`` (under its default ``REPEATABLE READ`` a
    read after a lock would still see the snapshot taken before it) and
    ``innodb_lock_wait_timeout``; PostgreSQL: ``lock_timeout``.  SQLite needs
    nothing (its busy timeout is a pragma).
    """
    if isinstance(database, PostgresqlDatabase):
        statements = [f"SET lock_timeout = {int(timeout * 1000)}"]
    elif isinstance(database, MySQLDatabase):
        statements = ["SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
                      f"SET SESSION innodb_lock_wait_timeout = {max(1, round(timeout))}"]
    else:
        return

    def initialise(conn: Any) -> None:
        cursor = conn.cursor()
        try:
            for statement in statements:
                cursor.execute(statement)
        finally:
            cursor.close()

    database._initialize_connection = initialise


@contextlib.contextmanager
def write_transaction(database: Any, timeout: float | None = None) -> Iterator[bool]:
    """The outermost transaction of an action: ``BEGIN IMMEDIATE`` on SQLite.

    Beginning is retried with backoff while the database is busy, until
    ``timeout`` seconds (default: the busy timeout) have passed; then, and for a
    busy error anywhere in the block (a deadlock, a lock wait that timed out),
    everything is rolled back and :class:`DatabaseBusy` raised.  The block
    itself is never re-run.  Yields ``True`` when the transaction holds the
    database's write lock from its start (SQLite).
    """
    timeout = timeout_of(database) if timeout is None else timeout
    sqlite = isinstance(getattr(database, "obj", database), SqliteDatabase)
    options = {"lock_type": "IMMEDIATE"} if sqlite else {}
    deadline = time.monotonic() + timeout
    delay = 0.005
    stack = contextlib.ExitStack()
    while True:
        try:
            stack.enter_context(database.atomic(**options))
            break
        except Exception as exc:
            if not is_busy(exc):
                raise
            if time.monotonic() + delay > deadline:
                raise busy_error(exc, timeout) from exc
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 2, 0.25)
    try:
        with stack:
            yield sqlite
    except DatabaseBusy:
        raise
    except Exception as exc:
        busy = busy_error(exc, timeout)
        if busy is None:
            raise
        raise busy from exc


def lock_names(database: Any, names: Iterable[str], *, holds_write_lock: bool = False
               ) -> list[str]:
    """Take exclusive locks on ``names`` until the current transaction ends.

    Names are locked in sorted order (two actions locking the same names cannot
    deadlock each other).  PostgreSQL and MariaDB/MySQL lock the rows of
    ``named_lock`` with ``SELECT ... FOR UPDATE``, inserting the rows missing so
    far; SQLite needs nothing when ``holds_write_lock`` (``BEGIN IMMEDIATE``),
    and otherwise takes the write lock by writing the rows.  Returns the names.
    """
    from dyncrm.db.models import NamedLock

    wanted = sorted({str(n) for n in names})
    if not wanted:
        return []
    for name in wanted:
        if not name or len(name) > 190:
            raise ValueError(f"a lock name has 1 to 190 characters, not {name!r}")
    db = getattr(database, "obj", database)
    if isinstance(db, SqliteDatabase):
        if not holds_write_lock:
            NamedLock.insert_many([{"name": n} for n in wanted]).on_conflict_ignore().execute()
        return wanted
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        # a plain read first: rows are never deleted, so "all there" stays true
        have = {row.name for row in NamedLock.select(NamedLock.name)
                .where(NamedLock.name.in_(chunk))}
        if len(have) == len(chunk):
            list(NamedLock.select(NamedLock.name).where(NamedLock.name.in_(chunk))
                 .order_by(NamedLock.name).for_update())
            continue
        # some are new: one upsert in sorted order inserts each row or waits for and
        # locks the existing one, so the names are still taken in one global order
        # (locking the existing rows first and inserting the new ones after them
        # would not be, and two sessions could deadlock).  Two sessions creating the
        # same new name can still deadlock on MariaDB's gap locks; the server's victim
        # gets DatabaseBusy, and only the first use of a name can race like this.
        rows = [{"name": n} for n in chunk]
        if isinstance(db, PostgresqlDatabase):
            query = NamedLock.insert_many(rows).on_conflict(
                conflict_target=[NamedLock.name], update={NamedLock.name: NamedLock.name})
        else:
            query = NamedLock.insert_many(rows).on_conflict(
                update={NamedLock.name: NamedLock.name})
        query.execute()
    return wanted


def share_names(database: Any, names: Iterable[str], *, holds_write_lock: bool = False
                ) -> list[str]:
    """Take shared locks on ``names`` until the current transaction ends.

    Shared locks do not exclude each other, only an exclusive lock on the same
    name (:func:`lock_names`): many postings into one month go on side by
    side, while closing that month waits for them and they wait for it.
    PostgreSQL ``SELECT ... FOR SHARE``, MariaDB/MySQL ``LOCK IN SHARE MODE``
    on the ``named_lock`` rows (missing rows are inserted first, ignoring a
    concurrent insert); SQLite needs nothing: its write transaction excludes
    every other writer, and a deferred transaction that read before another
    writer committed cannot write after it.  Returns the names, sorted.
    """
    from dyncrm.db.models import NamedLock

    wanted = sorted({str(n) for n in names})
    for name in wanted:
        if not name or len(name) > 190:
            raise ValueError(f"a lock name has 1 to 190 characters, not {name!r}")
    db = getattr(database, "obj", database)
    if not wanted or isinstance(db, SqliteDatabase):
        return wanted
    clause = "FOR SHARE" if isinstance(db, PostgresqlDatabase) else "LOCK IN SHARE MODE"
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        have = {row.name for row in NamedLock.select(NamedLock.name)
                .where(NamedLock.name.in_(chunk))}
        missing = [n for n in chunk if n not in have]
        if missing:
            NamedLock.insert_many([{"name": n} for n in missing]).on_conflict_ignore().execute()
        list(NamedLock.select(NamedLock.name).where(NamedLock.name.in_(chunk))
             .order_by(NamedLock.name).for_update(clause))
    return wanted


def insert_once(model: Any, row: dict[str, Any]) -> Any | None:
    """Insert ``row`` unless one of its unique keys exists; ``None`` when it existed.

    Returns what the insert returned (the new primary key where the backend
    says it).  Safe against a concurrent writer of the same key: the insert
    waits for the other transaction, then returns ``None`` (it committed) or
    inserts (it rolled back).  PostgreSQL uses ``ON CONFLICT DO NOTHING``,
    because a failed insert would abort its whole transaction; elsewhere only
    the failed statement is undone.
    """
    db = getattr(model._meta.database, "obj", model._meta.database)
    if isinstance(db, PostgresqlDatabase):
        # peewee adds RETURNING <primary key>: nothing comes back when ignored
        return model.insert(**row).on_conflict_ignore().execute()
    from peewee import IntegrityError

    try:
        inserted = model.insert(**row).execute()
    except IntegrityError as exc:
        if is_unique_violation(exc):
            return None
        raise
    return True if inserted is None else inserted


__all__ = ["DEFAULT_TIMEOUT", "busy_error", "insert_once", "is_busy", "is_unique_violation",
           "lock_names", "prepare_sessions", "share_names", "timeout_of",
           "write_transaction"]
