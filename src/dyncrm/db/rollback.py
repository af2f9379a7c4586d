"""Rollbacks that never hide the error that made them necessary.

When SQLite fails a write with ``database or disk is full`` or a disk I/O
error, it has often rolled the transaction back by itself already; peewee then
rolls back again, SQLite answers ``cannot rollback - no transaction is active``,
and that second error replaces the first: the operator reads about a
transaction instead of a full disk.  A server connection that was lost fails
the rollback the same way (``connection already closed``).

:func:`guard_rollbacks` gives a database a rollback (of a transaction and of a
savepoint) that, while another exception is on its way out, lets that original
exception win: a rollback that fails then is dropped, noted on the original,
and after a failed transaction rollback the connection is closed, so nothing of
the transaction can be committed later by accident.  A rollback called when
nothing else went wrong still raises its own error.
"""

from __future__ import annotations

import contextlib
import sys
import types
from typing import Any

from peewee import _savepoint


def _note(original: BaseException, failure: BaseException, what: str) -> None:
    with contextlib.suppress(Exception):
        original.add_note(f"(the {what} after this error failed too: "
                          f"{type(failure).__name__}: {failure})")


class _GuardedSavepoint(_savepoint):
    """A savepoint whose failed rollback does not replace the error being handled."""

    def rollback(self, begin: bool = True) -> None:
        pending = sys.exc_info()[1]
        try:
            super().rollback(begin)
        except Exception as failure:
            if pending is None:
                raise
            _note(pending, failure, "rollback to the savepoint")


def _rollback(database: Any, original_rollback: Any) -> None:
    """Roll back; while an exception is being handled, a failure here is dropped."""
    pending = sys.exc_info()[1]
    try:
        original_rollback()
    except Exception as failure:
        if pending is None:
            raise
        _note(pending, failure, "rollback")
        if "no transaction is active" not in str(failure):
            # the state of the connection is unknown: close it, which discards
            # whatever the transaction had done (SQLite and servers alike)
            with contextlib.suppress(Exception):
                database.close()


def guard_rollbacks(database: Any) -> Any:
    """Give ``database`` (a peewee ``Database``) rollbacks that keep the original error.

    Replaces the object's ``rollback`` and ``savepoint`` methods (its class, and
    so every ``isinstance`` check, stays the same).  Idempotent; returns ``database``.
    """
    if getattr(database, "_dyncrm_guarded", False):
        return database
    original = database.rollback
    database.rollback = types.MethodType(lambda self: _rollback(self, original), database)
    database.savepoint = types.MethodType(
        lambda self, sid=None: _GuardedSavepoint(self, sid), database)
    database._dyncrm_guarded = True
    return database


__all__ = ["guard_rollbacks"]
