"""Set-based statements for batch writers: many rows per statement, no query builder.

Batch work (a payroll confirmation, an SHU payout) writes thousands of rows.
Building each statement with peewee costs far more than running it, so the
bulk paths (``crm.ledger.post_many``, ``loans.repay_many``, the payroll import)
write prepared SQL text instead:

* :func:`insert_rows` — ``INSERT INTO t (cols) VALUES (...), (...), ...``, as
  many rows per statement as the database's parameter limit allows;
* :func:`select_in` — ``... WHERE col IN (?, ?, ...)`` over chunks of values;
* :func:`execute_many` — one statement text for many parameter rows (an
  ``UPDATE`` per row), sent as one ``executemany``.

Everything goes through ``database.execute_sql`` (or, for :func:`execute_many`,
its first row does and the rest are checked the same way), so the guard against
odd characters and oversized integers (:mod:`dyncrm.db.textguard`), the
action's "something was written" notice and statement counters see it.  Values
are passed as the database stores them: use :func:`converters` to apply the
model fields' ``db_value`` (JSON text, dates) the way peewee would.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from peewee import PostgresqlDatabase, SqliteDatabase

from dyncrm.db.textguard import check_rows

#: Rows per statement at most, whatever the parameter limit.
MAX_ROWS = 500
#: Parameters per statement on servers (PostgreSQL and MariaDB allow 65,535).
SERVER_PARAMS = 30_000


def quote(database: Any, name: str) -> str:
    """``name`` quoted as an identifier of ``database`` (``"key"``; `` `key` `` on MySQL)."""
    q = database.quote or '""'
    return f"{q[0]}{name}{q[-1]}"


def max_params(database: Any) -> int:
    """How many ``?`` one statement may hold on ``database``."""
    if isinstance(database, SqliteDatabase):
        conn = database.connection()
        if hasattr(conn, "getlimit"):
            return conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        return 999 if sqlite3.sqlite_version_info < (3, 32, 0) else 32_766
    return SERVER_PARAMS


def rows_per_statement(database: Any, columns: int, wanted: int = MAX_ROWS) -> int:
    """Rows of ``columns`` parameters one statement carries (at least one)."""
    return max(1, min(wanted, max_params(database) // max(1, columns)))


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    """``items`` in slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def converters(model: Any, columns: Sequence[str]) -> list[Callable[[Any], Any] | None]:
    """Per column of ``model``, the field's ``db_value`` where it changes the value
    (JSON, dates, booleans), else ``None``: apply with :func:`to_db`."""
    out: list[Callable[[Any], Any] | None] = []
    for column in columns:
        field = model._meta.columns.get(column) or model._meta.fields[column]
        kind = type(field).__name__
        out.append(None if kind in ("AutoField", "IntegerField", "BigIntegerField",
                                    "CharField", "TextField", "ForeignKeyField")
                   else field.db_value)
    return out


def to_db(rows: Iterable[Sequence[Any]], convert: Sequence[Callable[[Any], Any] | None]
          ) -> list[tuple]:
    """``rows`` with each column passed through its converter (see :func:`converters`)."""
    wanted = [(i, c) for i, c in enumerate(convert) if c is not None]
    if not wanted:
        return [tuple(r) for r in rows]
    out = []
    for row in rows:
        row = list(row)
        for i, c in wanted:
            row[i] = c(row[i])
        out.append(tuple(row))
    return out


def stamp(database: Any, value: Any) -> Any:
    """``value`` as sent in a bulk insert that repeats it: a date or datetime as the text
    SQLite's driver would make of it (``date.isoformat()``, ``datetime.isoformat(" ")``),
    made once instead of once per row; other values and other backends unchanged."""
    if isinstance(value, dt.date) and isinstance(database, SqliteDatabase):
        return str(value)
    return value


def day_values(database: Any, field: Any) -> Callable[[dt.date], Any]:
    """A function giving each day's value for ``field`` (a peewee ``DateField``) as a bulk
    insert sends it (:func:`stamp`), made once per day: a batch repeats its days."""
    made: dict[dt.date, Any] = {}

    def value(day: dt.date) -> Any:
        found = made.get(day)
        if found is None:
            found = made[day] = stamp(database, field.db_value(day))
        return found

    return value


class Row:
    """A row read as plain values, with attribute access (``row.member_id``): for code
    that reads rows by attribute without building a model instance per row."""

    def __init__(self, columns: Iterable[str], values: Iterable[Any]) -> None:
        self.__dict__.update(zip(columns, values, strict=True))


def insert_rows(database: Any, table: str, columns: Sequence[str],
                rows: Sequence[Sequence[Any]], *, per_statement: int = MAX_ROWS,
                ignore_conflicts: bool = False, returning: str | None = None
                ) -> list[Any]:
    """Insert ``rows`` (tuples in ``columns`` order) with multi-row ``VALUES``
    statements.

    ``ignore_conflicts``: rows that would break a unique index are left out
    (``OR IGNORE`` / ``ON CONFLICT DO NOTHING`` / ``INSERT IGNORE``).
    ``returning``: a column to return for every row, in the order of ``rows``
    (only where :func:`supports_returning`; one statement per row on MySQL).
    Returns those values, else an empty list.
    """
    if not rows:
        return []
    size = rows_per_statement(database, len(columns), per_statement)
    verb, tail = "INSERT", ""
    if ignore_conflicts:
        if isinstance(database, SqliteDatabase):
            verb = "INSERT OR IGNORE"
        elif isinstance(database, PostgresqlDatabase):
            tail = " ON CONFLICT DO NOTHING"
        else:
            verb = "INSERT IGNORE"
    if returning is not None:
        if not supports_returning(database):
            return [_insert_one(database, table, columns, row) for row in rows]
        tail += f" RETURNING {quote(database, returning)}"
    head = (f"{verb} INTO {quote(database, table)} ("
            + ", ".join(quote(database, c) for c in columns) + ") VALUES ")
    one = "(" + ", ".join([database.param] * len(columns)) + ")"
    texts: dict[int, str] = {}
    out: list[Any] = []
    for part in chunks(rows, size):
        sql = texts.get(len(part))
        if sql is None:
            sql = texts[len(part)] = head + ", ".join([one] * len(part)) + tail
        cursor = database.execute_sql(sql, [v for row in part for v in row])
        if returning is not None:
            got = [r[0] for r in cursor.fetchall()]
            if len(got) != len(part):
                raise RuntimeError(f"the database returned {len(got)} ids for {len(part)} "
                                   f"rows inserted into {table}")
            out.extend(got)
    return out


def _insert_one(database: Any, table: str, columns: Sequence[str], row: Sequence[Any]) -> int:
    """Insert one row and return its id (``lastrowid``: MySQL, old SQLite)."""
    sql = (f"INSERT INTO {quote(database, table)} ("
           + ", ".join(quote(database, c) for c in columns) + ") VALUES ("
           + ", ".join([database.param] * len(columns)) + ")")
    return database.execute_sql(sql, list(row)).lastrowid


def supports_returning(database: Any) -> bool:
    """True where ``INSERT ... RETURNING`` works: PostgreSQL, and SQLite from 3.35."""
    if isinstance(database, SqliteDatabase):
        return sqlite3.sqlite_version_info >= (3, 35, 0)
    return bool(getattr(database, "returning_clause", False))


def insert_dicts(database: Any, model: Any, rows: Sequence[dict[str, Any]], *,
                 per_statement: int = MAX_ROWS, ignore_conflicts: bool = False,
                 returning: str | None = None) -> list[Any]:
    """Insert ``rows`` of ``model`` given as ``{field name: value}`` (as
    ``model.insert_many`` takes them) with :func:`insert_rows`: fields left out get
    their default (a callable default is called per row), values pass through the
    field's ``db_value`` where it changes them.  ``ignore_conflicts`` and
    ``returning`` as in :func:`insert_rows`."""
    if not rows:
        return []
    fields = [f for f in model._meta.sorted_fields if type(f).__name__ != "AutoField"
              or f.name in rows[0]]
    convert = converters(model, [f.column_name for f in fields])
    plan = []
    for field, conv in zip(fields, convert, strict=True):
        default = field.default
        plan.append((field.name, default if callable(default) else None,
                     None if callable(default) else default, conv))
    keys = rows[0].keys()
    if all(row.keys() == keys for row in rows):  # the usual batch: every row alike
        given = [i for i, (name, *_) in enumerate(plan) if name in keys]
        left = [i for i in range(len(plan)) if i not in given]
        values = _alike(rows, [plan[i] for i in given], [plan[i] for i in left])
        return insert_rows(database, model._meta.table_name,
                           [fields[i].column_name for i in given + left], values,
                           per_statement=per_statement, ignore_conflicts=ignore_conflicts,
                           returning=returning)
    values = []
    for row in rows:
        out = []
        for name, make, default, conv in plan:
            value = row[name] if name in row else (make() if make is not None else default)
            out.append(conv(value) if conv is not None and value is not None else value)
        values.append(out)
    return insert_rows(database, model._meta.table_name, [f.column_name for f in fields],
                       values, per_statement=per_statement, ignore_conflicts=ignore_conflicts,
                       returning=returning)


def _alike(rows: Sequence[dict[str, Any]], given: list[tuple], left: list[tuple]
           ) -> list[list[Any]]:
    """:func:`insert_dicts`' values of rows that all have the same keys: the given
    fields (``plan`` entries) read with one ``itemgetter``, the others' defaults after
    them, converters applied where they change a value."""
    from operator import itemgetter

    names = [name for name, *_ in given]
    get = itemgetter(*names) if len(names) > 1 else (
        (lambda row: (row[names[0]],)) if names else (lambda row: ()))
    fills = [(make, default) for _, make, default, _ in left]
    convs = [(i, conv) for i, (*_, conv) in enumerate(given + left) if conv is not None]
    values = []
    for row in rows:
        out = [*get(row), *[make() if make is not None else default
                            for make, default in fills]] if fills else list(get(row))
        for i, conv in convs:
            if out[i] is not None:
                out[i] = conv(out[i])
        values.append(out)
    return values


def select_in(database: Any, sql: str, values: Sequence[Any], *,
              size: int = MAX_ROWS, params: Sequence[Any] = ()) -> list[tuple]:
    """Run ``sql`` — whose ``{in}`` marks the place of a placeholder list — over
    ``values`` in chunks of ``size``, with ``params`` before each chunk; all rows."""
    out: list[tuple] = []
    size = rows_per_statement(database, 1, size) - len(params)
    texts: dict[int, str] = {}
    for part in chunks(list(dict.fromkeys(values)), max(1, size)):
        text = texts.get(len(part))
        if text is None:
            text = texts[len(part)] = sql.replace("{in}", ", ".join([database.param]
                                                                     * len(part)))
        out.extend(database.execute_sql(text, [*params, *part]).fetchall())
    return out


def execute_many(database: Any, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    """Run ``sql`` once per row of parameters: the first row through
    ``database.execute_sql`` (guards, write notice, counters), the others checked
    the same way and sent as one ``executemany`` (``execute_batch`` on PostgreSQL)."""
    if not rows:
        return
    database.execute_sql(sql, rows[0])
    rest = rows[1:]
    if not rest:
        return
    check_rows(rest)
    cursor = database.cursor()
    if isinstance(database, PostgresqlDatabase):
        from psycopg2.extras import execute_batch

        execute_batch(cursor, sql, rest, page_size=MAX_ROWS)
    else:
        cursor.executemany(sql, rest)


__all__ = ["MAX_ROWS", "chunks", "converters", "execute_many", "insert_dicts", "insert_rows",
           "max_params", "quote", "rows_per_statement", "select_in", "supports_returning",
           "to_db"]
