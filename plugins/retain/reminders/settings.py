"""Settings of retain.reminders, read from ``[plugins."retain.reminders"]``."""

from __future__ import annotations

import attrs

from dyncrm_retain.reminders.quiet import parse_ranges

PLUGIN = "retain.reminders"


def _ranges(instance, attribute, value) -> None:
    if value is not None:
        parse_ranges(value)


def _non_negative(instance, attribute, value: int) -> None:
    if value < 0:
        raise ValueError(f"{attribute.name} must not be negative")


@attrs.frozen
class ReminderSettings:
    """The reminder schedule and delivery rules.

    ``offsets`` maps a due-item kind to its schedule in days relative to the
    due date (``-7`` a week before, ``0`` on the day, ``3`` three days late);
    kinds not named there use what their source suggests
    (``dyncrm_retain_reminder_offsets``), else ``default_offsets``.
    ``catch_up_days``: after days without a run, the latest reminder that
    became due is still sent if it became due at most this many days ago.
    ``quiet_hours`` (default: ``[notify] quiet_hours``) like ``["21:00-07:00"]``.
    """

    default_offsets: tuple[int, ...] = (-7, -1, 0, 3, 10)
    offsets: dict[str, tuple[int, ...]] = attrs.field(factory=dict)
    catch_up_days: int = attrs.field(default=7, validator=_non_negative)
    quiet_hours: tuple[str, ...] | None = attrs.field(default=None, validator=_ranges)
    staff_channel: str | None = None
    deliver: bool = True
