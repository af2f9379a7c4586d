"""Quiet hours: when reminders must not arrive, and when they may go out instead.

Ranges are written ``"21:00-07:00"`` (a range may cross midnight); several
ranges may be given.  The older two-item form ``["21:00", "07:00"]`` (start,
end) is read as one range.  Times are the organisation's local time.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo

_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

Range = tuple[dt.time, dt.time]


def _time(text: str) -> dt.time:
    m = _TIME.match(text.strip())
    if not m:
        raise ValueError(f"{text!r} is not a time like 21:00")
    return dt.time(int(m.group(1)), int(m.group(2)))


def parse_ranges(values: Sequence[str]) -> list[Range]:
    """Ranges from ``["21:00-07:00", ...]`` or ``["21:00", "07:00"]``; ``ValueError`` if bad."""
    values = list(values)
    if len(values) == 2 and not any("-" in v for v in values):
        values = [f"{values[0]}-{values[1]}"]
    ranges = []
    for value in values:
        start, sep, end = value.partition("-")
        if not sep:
            raise ValueError(f"quiet hours {value!r} must look like 21:00-07:00")
        a, b = _time(start), _time(end)
        if a == b:
            raise ValueError(f"quiet hours {value!r} start and end at the same time")
        ranges.append((a, b))
    return ranges


def _inside(t: dt.time, r: Range) -> bool:
    start, end = r
    if start < end:
        return start <= t < end
    return t >= start or t < end  # crosses midnight


def release_time(now_utc: dt.datetime, ranges: Sequence[Range], tz: ZoneInfo
                 ) -> dt.datetime | None:
    """When a message queued at ``now_utc`` (naive UTC) may leave, or ``None`` if now.

    The answer is naive UTC, the end of the quiet range ``now`` falls in
    (following on through ranges that touch or overlap).
    """
    local = now_utc.replace(tzinfo=dt.UTC).astimezone(tz)
    moved = False
    for _ in range(len(ranges) + 1):
        hit = next((r for r in ranges if _inside(local.time(), r)), None)
        if hit is None:
            break
        end = hit[1]
        day = local.date()
        if end <= local.time():
            day += dt.timedelta(days=1)
        local = dt.datetime.combine(day, end, tzinfo=tz)
        moved = True
    if not moved:
        return None
    return local.astimezone(dt.UTC).replace(tzinfo=None)
