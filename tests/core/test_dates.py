"""as_date: every shape the database hands back becomes a date."""

from __future__ import annotations

import datetime as dt

import pytest

from dyncrm.dates import as_date


@pytest.mark.parametrize(("value", "expected"), [
    (None, None),
    (dt.date(2026, 3, 25), dt.date(2026, 3, 25)),
    (dt.datetime(2026, 3, 25, 23, 59), dt.date(2026, 3, 25)),
    ("2026-03-25", dt.date(2026, 3, 25)),
    ("2026-03-25 10:00:00.123", dt.date(2026, 3, 25)),
])
def test_as_date(value, expected) -> None:
    assert as_date(value) == expected


def test_as_date_refuses_text_that_is_no_date() -> None:
    with pytest.raises(ValueError):
        as_date("25 Maret 2026")
