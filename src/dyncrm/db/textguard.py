"""The last line against odd characters in stored text.

Every field a person types is checked where it is parsed (:mod:`dyncrm.text`,
:mod:`dyncrm.inputs`), naming the field.  :func:`guard_text` makes the
database itself refuse what slipped past: a text parameter of any statement
holding a control character (other than tab, line feed and carriage return),
a bidirectional control or a lone surrogate (bytes that were not UTF-8) is
refused with a :class:`~dyncrm.errors.ValidationError` before the statement
runs, so no plugin can store it and no driver crashes on it.  Likewise an
integer beyond the BIGINT columns (a count or quantity nobody bounded) is
refused instead of crashing the driver with ``OverflowError``.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from dyncrm.errors import ValidationError
from dyncrm.text import describe

#: C0 and C1 controls except tab, line feed and carriage return; bidi controls;
#: surrogates (what ``surrogateescape`` makes of bytes that are not UTF-8).
#: Integers the database's BIGINT columns hold lie in [-BIGINT_LIMIT, BIGINT_LIMIT).
BIGINT_LIMIT = 2**63

ODD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e"
                 "\u2066-\u2069\ud800-\udfff]")


#: Parameter types :func:`check_params` checks in bulk (others: value by value).
_PLAIN = frozenset({str, int, type(None), float, bool, bytes, Decimal, dt.date, dt.datetime})


def check_params(params: Any) -> None:
    """Raise ``ValidationError`` if a text among ``params`` holds an odd character or an
    integer exceeds the BIGINT range.

    One search over all the texts and one ``min``/``max`` over the integers (a bulk
    insert sends thousands of values); only a statement that fails is looked at value
    by value, to name what is wrong.
    """
    if not params:
        return
    values = params.values() if isinstance(params, dict) else params
    if not isinstance(values, list | tuple):
        values = list(values)
    if not _PLAIN.issuperset(map(type, values)):  # subclasses of str or int: one by one
        _check_each(values)
        return
    texts = [v for v in values if type(v) is str]
    ints = [v for v in values if type(v) is int]
    if (texts and ODD.search("\n".join(texts)) is not None) or (
            ints and (min(ints) < -BIGINT_LIMIT or max(ints) >= BIGINT_LIMIT)):
        _check_each(values)


def _check_each(values: Any) -> None:
    """Raise ``ValidationError`` naming the first odd text or oversized integer."""
    for value in values:
        if isinstance(value, int) and not -BIGINT_LIMIT <= value < BIGINT_LIMIT:
            shown = f"{value:,}".replace(",", ".") if abs(value) < 10**40 else "a number"
            raise ValidationError(f"{shown} is larger than the database can store; nothing "
                                  "was saved")
        if isinstance(value, str):
            found = ODD.search(value)
            if found is not None:
                raise ValidationError(
                    f"a text to be stored contains {describe(found.group())} at character "
                    f"{found.start() + 1}; nothing was saved (remove the character and try "
                    "again)")


def check_rows(rows: Any) -> None:
    """:func:`check_params` for many rows of parameters (an ``executemany``), with one
    search over all their texts; a refusal names the value as :func:`check_params` does."""
    values = [v for row in rows for v in row]
    texts = [v for v in values if type(v) is str]
    if (texts and ODD.search("\n".join(texts))) or any(
            not -BIGINT_LIMIT <= v < BIGINT_LIMIT for v in values if type(v) is int):
        for row in rows:
            check_params(row)


def guard_text(database: Any) -> None:
    """Make ``database.execute_sql`` refuse statements with odd characters in text params."""
    if getattr(database, "_dyncrm_text_guard", False):
        return
    original = database.execute_sql

    def execute_sql(sql: str, params: Any = None, *args: Any, **kwargs: Any) -> Any:
        check_params(params)
        return original(sql, params, *args, **kwargs)

    database.execute_sql = execute_sql
    database._dyncrm_text_guard = True


__all__ = ["BIGINT_LIMIT", "ODD", "check_params", "check_rows", "guard_text"]
