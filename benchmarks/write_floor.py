"""The write floor of a job that writes: the very rows it writes, stored with nothing computed.

A job such as the payroll import or the SHU posting checks, computes and renders, then
writes rows into a dozen tables. Its floor is the database's share alone: the same rows,
inserted and updated with hand-written SQL in one transaction.

- :func:`capture` runs the library's own work once, untimed (a job's ``prepare``), inside a
  transaction that is rolled back, and keeps every row it added to any table and every row
  it changed of the tables named (:class:`Writes`);
- :func:`replay` is the timed floor: it stores exactly those rows (``executemany`` on
  SQLite, ``execute_values`` / ``execute_batch`` on PostgreSQL), parents before children.

Worlds are prepared on SQLite and copied into PostgreSQL with their ids, so rows captured
on SQLite replay on either backend (booleans read as 0 and 1 are made booleans where
PostgreSQL's column is one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from dyncrm.db import bulk

#: ``{table: (columns, rows)}``.
Rows = dict[str, tuple[list[str], list[tuple]]]


@dataclass(frozen=True)
class Writes:
    """What a piece of work wrote: the rows it added (``new``) and the rows it changed
    (``changed``), per table."""

    new: Rows
    changed: Rows

    def count(self, table: str) -> int:
        """Rows added to ``table``."""
        return len(self.new[table][1]) if table in self.new else 0


#: Tables whose new rows are no part of a job's writes: ``named_lock`` holds the rows the
#: servers lock (``crm.lock``).  Run inside the capture's transaction, an action on SQLite
#: writes lock rows it does not write in its own ``BEGIN IMMEDIATE`` transaction, and on
#: the servers a name's row is written once, the first time it is locked.
NOT_WRITES = ("named_lock",)


def capture(crm, run: Callable[[], Any], *, updated: Iterable[str] = ()) -> Writes:
    """Run ``run()`` in a transaction that is rolled back; return every row it added to any
    table but those of :data:`NOT_WRITES` (in id order) and every row of the tables in
    ``updated`` it changed."""
    db = crm.database
    tables = {t: [c.name for c in db.get_columns(t)] for t in db.get_tables()
              if t not in NOT_WRITES}
    updated = [t for t in updated if t in tables]

    def rows(table: str, after: int | None = None) -> list[tuple]:
        columns = ", ".join(bulk.quote(db, c) for c in tables[table])
        where = "" if after is None else f"WHERE id > {db.param}"
        return db.execute_sql(f"SELECT {columns} FROM {bulk.quote(db, table)} {where} "
                              "ORDER BY 1", () if after is None else (after,)).fetchall()

    marks: dict[str, Any] = {}  # the last id, or every key of a table without ids
    for t, columns in tables.items():
        marks[t] = (db.execute_sql(f"SELECT MAX(id) FROM {bulk.quote(db, t)}").fetchone()[0]
                    or 0) if "id" in columns else {r[0] for r in rows(t)}
    before = {t: {r[0]: r for r in rows(t)} for t in updated}
    with db.atomic() as transaction:
        run()
        new: Rows = {}
        for t, mark in marks.items():
            added = rows(t, mark) if isinstance(mark, int) else \
                [r for r in rows(t) if r[0] not in mark]
            if added:
                new[t] = (tables[t], added)
        changed: Rows = {}
        for t in updated:
            diff = [r for r in rows(t) if r[0] in before[t] and before[t][r[0]] != r]
            if diff:
                changed[t] = (tables[t], diff)
        transaction.rollback()
    return Writes(new, changed)


def insert_order(tables: Iterable[str]) -> list[str]:
    """``tables`` with every table after the tables its foreign keys point to (the
    models' dependency order); tables without a model first."""
    from peewee import sort_models

    from dyncrm.db.base import BaseModel

    models, stack = {}, [BaseModel]
    while stack:
        for model in stack.pop().__subclasses__():
            models.setdefault(model._meta.table_name, model)
            stack.append(model)
    wanted = set(tables)
    ordered = [m._meta.table_name for m in sort_models(
        [models[t] for t in wanted if t in models])]
    return sorted(t for t in wanted if t not in models) + ordered


LEDGER = ("journal_entry", "posting")


def ledger_marks(crm) -> tuple[int, int]:
    """The highest journal entry and posting ids so far: what :func:`ledger_written`
    counts from (rows added later get higher ids on every backend)."""
    return tuple(crm.database.execute_sql(f"SELECT MAX(id) FROM {t}").fetchone()[0] or 0
                 for t in LEDGER)


def ledger_written(crm, marks: tuple[int, int]) -> tuple[int, int]:
    """The journal entries and postings added since ``marks`` (:func:`ledger_marks`).

    Counts the new rows only, by id: a timed job checks what it wrote without counting
    the millions of rows of a 100,000-member ledger before and after."""
    db = crm.database
    return tuple(db.execute_sql(f"SELECT COUNT(*) FROM {t} WHERE id > {db.param}", (mark,))
                 .fetchone()[0] for t, mark in zip(LEDGER, marks, strict=True))


def replay_checked(crm, writes: Writes) -> int:
    """:func:`replay`, then check that it wrote the entries and postings captured; returns
    the postings written (what a floor job returns)."""
    marks = ledger_marks(crm)
    replay(crm, writes)
    written = ledger_written(crm, marks)
    for count, table in zip(written, LEDGER, strict=True):
        if count != writes.count(table):
            raise AssertionError(f"{table}: {count} rows written, "
                                 f"{writes.count(table)} captured")
    return written[1]


def replay(crm, writes: Writes) -> None:
    """Store ``writes`` with hand-written SQL in one transaction (the timed floor)."""
    from peewee import PostgresqlDatabase

    db = crm.database
    postgres = isinstance(db, PostgresqlDatabase)
    param = "%s" if postgres else "?"
    with db.atomic():
        cursor = db.cursor()
        for table in insert_order(writes.new):
            columns, rows = writes.new[table]
            head = (f"INSERT INTO {bulk.quote(db, table)} ("
                    + ", ".join(bulk.quote(db, c) for c in columns) + ") VALUES ")
            if postgres:
                from psycopg2.extras import execute_values

                execute_values(cursor, head + "%s", _for_postgres(db, table, columns, rows),
                               page_size=500)
            else:
                cursor.executemany(head + "(" + ", ".join([param] * len(columns)) + ")", rows)
        for table, (columns, rows) in writes.changed.items():
            sql = (f"UPDATE {bulk.quote(db, table)} SET "
                   + ", ".join(f"{bulk.quote(db, c)} = {param}" for c in columns[1:])
                   + f" WHERE {bulk.quote(db, columns[0])} = {param}")
            values = [(*r[1:], r[0]) for r in (_for_postgres(db, table, columns, rows)
                                               if postgres else rows)]
            if postgres:
                from psycopg2.extras import execute_batch

                execute_batch(cursor, sql, values, page_size=500)
            else:
                cursor.executemany(sql, values)


#: Boolean columns per PostgreSQL table.
_BOOLEANS: dict[str, set[str]] = {}


def _for_postgres(db, table: str, columns: list[str], rows: list[tuple]) -> list[tuple]:
    """``rows`` (of ``columns``) read on SQLite, with 0/1 made booleans where PostgreSQL's
    column is one."""
    if table not in _BOOLEANS:
        _BOOLEANS[table] = {c.name for c in db.get_columns(table) if c.data_type == "boolean"}
    flags = [c in _BOOLEANS[table] for c in columns]
    if not any(flags):
        return rows
    return [tuple(bool(v) if flag and v is not None else v
                  for flag, v in zip(flags, r, strict=True)) for r in rows]
