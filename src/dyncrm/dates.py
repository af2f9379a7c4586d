"""Dates as the database hands them back.

peewee returns ``DateField`` values as ``date`` objects on PostgreSQL and usually
on SQLite, but as ISO text where SQLite stored a value another way (raw SQL,
aggregates); ``DateTimeField`` values are ``datetime``.  :func:`as_date` turns
any of them into a ``date`` so callers compare like with like.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def as_date(value: Any) -> dt.date | None:
    """A ``date`` from a date, a datetime, ISO text (``"2026-03-25..."``) or ``None``."""
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    return dt.date.fromisoformat(str(value)[:10])
