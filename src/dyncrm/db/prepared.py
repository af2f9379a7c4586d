"""SQL text written once, for the hot read paths that run on every page view.

Building a statement with peewee costs far more than running a small indexed
query (a member's balances, their loans): the query builder walks its
expression tree on every call.  The one-member reads write their SQL once with
``{p}`` where a parameter goes; :func:`sql` fills in the database's placeholder
(``?`` on SQLite, ``%s`` on PostgreSQL and MariaDB) and keeps the text, so each
call only sends it.  Run it through ``database.execute_sql`` like any peewee
query, so the guard against odd characters (:mod:`dyncrm.db.textguard`) and
statement counters see it.

Write only portable SQL there (no ``%`` in literals: pass ``LIKE`` patterns as
parameters), and identifiers that need no quoting on any backend.
"""

from __future__ import annotations

from typing import Any

_TEXTS: dict[tuple[str, str], str] = {}


def sql(database: Any, text: str) -> str:
    """``text`` with each ``{p}`` replaced by ``database``'s parameter placeholder."""
    param = database.param
    try:
        return _TEXTS[(text, param)]
    except KeyError:
        done = _TEXTS[(text, param)] = text.replace("{p}", param)
        return done


def marks(count: int) -> str:
    """``{p}, {p}, …`` for an ``IN`` list of ``count`` values (in a text given to :func:`sql`)."""
    return ", ".join(["{p}"] * count)


__all__ = ["marks", "sql"]
