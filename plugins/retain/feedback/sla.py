"""Service-level dates: working days that skip weekends and configured holidays."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

SATURDAY = 5


def is_working_day(day: dt.date, holidays: frozenset[dt.date] = frozenset()) -> bool:
    """True for Monday to Friday, unless ``day`` is a holiday."""
    return day.weekday() < SATURDAY and day not in holidays


def add_working_days(start: dt.date, days: int,
                     holidays: frozenset[dt.date] = frozenset()) -> dt.date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted).

    ``add_working_days(friday, 2)`` is the next Tuesday; with ``days=0`` the
    answer is ``start`` if it is a working day, else the next working day.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    day = start
    if days == 0:
        while not is_working_day(day, holidays):
            day += dt.timedelta(days=1)
        return day
    counted = 0
    while counted < days:
        day += dt.timedelta(days=1)
        if is_working_day(day, holidays):
            counted += 1
    return day


def due_date(start: dt.date, days: int, *, working: bool,
             holidays: frozenset[dt.date] = frozenset()) -> dt.date:
    """``days`` after ``start``, counted in working days or calendar days."""
    if working:
        return add_working_days(start, days, holidays)
    return start + dt.timedelta(days=days)


def parse_holidays(values: Iterable[str]) -> frozenset[dt.date]:
    """ISO dates (``2026-12-25``) into a set; raises ``ValueError`` naming a bad one."""
    out = set()
    for value in values:
        try:
            out.add(dt.date.fromisoformat(value))
        except ValueError:
            raise ValueError(f"holiday {value!r} is not a date like 2026-12-25") from None
    return frozenset(out)
