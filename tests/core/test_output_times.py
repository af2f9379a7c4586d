"""dyncrm.output: stored times (naive UTC) shown in the deployment's time zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from dyncrm.output import local_day, local_time

JAKARTA = ZoneInfo("Asia/Jakarta")


def test_a_time_stored_before_midnight_utc_is_the_next_day_in_jakarta() -> None:
    stored = dt.datetime(2026, 3, 27, 18, 5)  # 01:05 on the 28th in Jakarta (UTC+7)
    assert local_day(stored, JAKARTA) == "2026-03-28"
    assert local_time(stored, JAKARTA) == "2026-03-28 01:05"
    assert local_day(dt.datetime(2026, 3, 27, 16, 59), JAKARTA) == "2026-03-27"


def test_an_aware_time_is_taken_as_it_is() -> None:
    aware = dt.datetime(2026, 3, 28, 1, 5, tzinfo=JAKARTA)
    assert local_day(aware, JAKARTA) == "2026-03-28"
    assert local_day(aware, dt.UTC) == "2026-03-27"
