"""The benchmark on PostgreSQL: a throwaway server, worlds copied into it, raw SQL adapted.

Worlds are built on SQLite (``harness.generate_world`` and the jobs' ``prepare``, whose
set-based SQL is SQLite's); :func:`copy_world` then creates the same schema on a
PostgreSQL database through the library (``crm.upgrade()`` with the world's plugins)
and copies every table into it with ``COPY``, so both backends hold the same rows,
ids included.  Each measurement runs on a database created from that one as a template
(``harness.world_copy``), as each SQLite measurement runs on a copy of the file.

The server is started as ``tests/pg.py`` starts it for the tests (``initdb`` into a
temporary directory, a free loopback port, run as the ``postgres`` user through
``runuser`` when we are root); that module is imported from ``tests/``.

Raw-SQL floors are written once, with ``?`` placeholders and the ISO date texts SQLite
returns.  On PostgreSQL :func:`portable_raw_sql` runs them unchanged: it turns ``?`` into
``%s`` (and a literal ``%`` into ``%%``) and makes the connection return ``DATE`` values
as ISO text, so the floor does the same work on both backends.  Only raw jobs get it;
the library's own SQL goes through peewee untouched.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import harness

REPO = Path(__file__).resolve().parent.parent
SQLITE, POSTGRESQL = "sqlite", "postgresql"
BACKENDS = (SQLITE, POSTGRESQL)
#: Rows per ``COPY`` buffer when copying a world into PostgreSQL.
COPY_ROWS = 50_000


def _pg_module():
    """``tests/pg.py`` (the test run's throwaway server), imported from ``tests/``."""
    tests = str(REPO / "tests")
    if tests not in sys.path:
        sys.path.append(tests)
    import pg

    return pg


def postgres_available() -> str | None:
    """``None`` when a PostgreSQL server can be started here, else the reason why not."""
    try:
        pg = _pg_module()
        pg.find_binaries()
        import psycopg2  # noqa: F401
    except Exception as exc:  # PostgresUnavailable, ImportError: the reason is the message
        return str(exc)
    return None


@contextlib.contextmanager
def postgres_server() -> Iterator[Any]:
    """A started throwaway PostgreSQL server (``tests/pg.PostgresServer``), always stopped
    (SIGTERM and SIGHUP too, as in the test run: ``servers.stop_on_termination``)."""
    pg = _pg_module()
    import servers

    servers.stop_on_termination()
    server = pg.PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()


def _admin(url: str):
    """An autocommit psycopg2 connection to the ``postgres`` database of ``url``'s server."""
    import psycopg2

    conn = psycopg2.connect(url.rsplit("/", 1)[0] + "/postgres")
    conn.autocommit = True
    return conn


def clone_database(url: str) -> str:
    """A new database made from the one at ``url`` (as its template); returns its URL."""
    name = f"w_{uuid.uuid4().hex[:12]}"
    source = url.rsplit("/", 1)[1]
    conn = _admin(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}"')
    finally:
        conn.close()
    return url.rsplit("/", 1)[0] + "/" + name


def drop_database(url: str) -> None:
    """Drop the database at ``url``, disconnecting whoever still uses it."""
    name = url.rsplit("/", 1)[1]
    conn = _admin(url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def copy_world(world: harness.World, server, enabled, plugins) -> harness.World:
    """The same world on a new PostgreSQL database of ``server``: schema from the
    library's migrations, rows copied table by table from the SQLite file."""
    url = server.url(server.create_database())
    pg_world = harness.World(n=world.n, directory=world.directory, member_ids=world.member_ids,
                             start=world.start, end=world.end, months=world.months, url=url)
    crm = harness.open_world(pg_world, enabled, plugins)
    try:
        crm.upgrade()
    finally:
        crm.close()
    import psycopg2

    source = sqlite3.connect(world.database)
    target = psycopg2.connect(url)
    try:
        with target, target.cursor() as cur:
            cur.execute("SET session_replication_role = replica")  # no FK checks while copying
            cur.execute("SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'")
            pg_tables = {r[0] for r in cur.fetchall()}
            tables = [r[0] for r in source.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            tables = [t for t in tables if t in pg_tables]
            # all at once: TRUNCATE ... CASCADE of one table empties those referring to it
            cur.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
            for table in tables:
                _copy_table(source, cur, table)
        target.autocommit = True
        with target.cursor() as cur:
            cur.execute("ANALYZE")
    finally:
        source.close()
        target.close()
    return pg_world


def _copy_table(source: sqlite3.Connection, cur, table: str) -> None:
    """Copy ``table``'s rows from the SQLite file into the (empty) PostgreSQL table."""
    cur.execute("SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'public' AND table_name = %s", (table,))
    pg_columns = dict(cur.fetchall())
    columns = [r[1] for r in source.execute(f'PRAGMA table_info("{table}")')
               if r[1] in pg_columns]
    quoted = ", ".join(f'"{c}"' for c in columns)
    rows = source.execute(f'SELECT {quoted} FROM "{table}"')
    import io

    while True:
        batch = rows.fetchmany(COPY_ROWS)
        if not batch:
            break
        buffer = io.StringIO()
        for row in batch:
            buffer.write("\t".join(_copy_text(v) for v in row))
            buffer.write("\n")
        buffer.seek(0)
        cur.copy_expert(f'COPY "{table}" ({quoted}) FROM STDIN', buffer)
    if "id" in pg_columns:
        cur.execute(f"SELECT pg_get_serial_sequence('\"{table}\"', 'id')")
        sequence = cur.fetchone()[0]
        if sequence:
            cur.execute(f'SELECT setval(%s, COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, '
                        "false)", (sequence,))


def _copy_text(value) -> str:
    """One value in ``COPY``'s text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bytes):
        return "\\\\x" + value.hex()
    text = str(value)
    return (text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")
            .replace("\r", "\\r"))


def is_postgres(world: harness.World) -> bool:
    """True when ``world`` lives on PostgreSQL."""
    return bool(world.url) and world.url.startswith("postgresql")


def portable_raw_sql(crm) -> None:
    """Let a raw job's SQLite-flavoured SQL run on PostgreSQL (see the module docstring):
    ``?`` placeholders and literal ``%`` are rewritten for psycopg2, and ``DATE`` values
    come back as ISO text.  The wrapper is set on this CRM's database object only."""
    import psycopg2.extensions

    database = crm.database
    as_text = psycopg2.extensions.new_type((1082,), "DATE_AS_TEXT",
                                           lambda value, cur: value)
    psycopg2.extensions.register_type(as_text, database.connection())
    original = database.execute_sql

    def execute_sql(sql, params=None, *args, **kwargs):
        if "%s" not in sql:
            sql = sql.replace("%", "%%").replace("?", "%s")
        return original(sql, params, *args, **kwargs)

    database.execute_sql = execute_sql


__all__ = ["BACKENDS", "POSTGRESQL", "SQLITE", "clone_database", "copy_world",
           "drop_database", "is_postgres", "portable_raw_sql", "postgres_available",
           "postgres_server"]
