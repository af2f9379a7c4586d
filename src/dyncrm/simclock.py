"""A simulated date for training and staging deployments.

``dyncrm --today YYYY-MM-DD`` (or ``$DYNCRM_TODAY``) makes one command run as if
it were that day, so staff can practise a loan's maturity or a year-end without
waiting for it.  It is honoured only where the configuration says
``[clock] simulated = true``; anywhere else it is refused (exit 2) naming that
setting, before anything is read or written.

The date moves, the time of day does not: the clock answers the given day at
the current wall-clock time in the organisation's timezone, so events of one
run keep their order.  Sign-in sessions and the throttling of failed sign-ins
keep real time (:mod:`dyncrm.sessions`): a jump of months must not end
everybody's session, nor lift a lock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import attrs

from dyncrm.config import Config
from dyncrm.db.models import utcnow
from dyncrm.errors import ConfigError

#: The environment variable that gives the simulated date like ``--today``.
TODAY_ENV = "DYNCRM_TODAY"
#: The configuration key that allows it.
SETTING = "clock.simulated"


@attrs.frozen
class SimulatedClock:
    """A clock (for :meth:`dyncrm.app.CRM.set_clock`) on ``day`` in ``tz``.

    Calling it gives naive UTC, like :func:`dyncrm.db.models.utcnow`: ``day`` at
    the real wall-clock time of ``tz`` now.
    """

    day: dt.date
    tz: ZoneInfo
    real: Callable[[], dt.datetime] = utcnow

    def __call__(self) -> dt.datetime:
        local = self.real().replace(tzinfo=dt.UTC).astimezone(self.tz)
        moved = dt.datetime.combine(self.day, local.timetz().replace(tzinfo=None),
                                    tzinfo=self.tz)
        return moved.astimezone(dt.UTC).replace(tzinfo=None)


def check_allowed(config: Config, day: dt.date, source: str) -> None:
    """Refuse a simulated ``day`` on a deployment whose configuration does not allow it.

    :param source: how the date was given (``--today``, ``$DYNCRM_TODAY``), for the message.
    :raises ConfigError: naming ``[clock] simulated`` and the file (exit 2).
    """
    if not config.clock.simulated:
        raise ConfigError(
            f"{source} {day.isoformat()} was given, but this deployment does not allow a "
            "simulated date; only training and staging deployments set "
            "[clock] simulated = true (unset "
            f"{TODAY_ENV} and leave out --today to work on the real date)",
            path=config.path, key=SETTING)


def banner(config: Config, day: dt.date) -> str:
    """The line every command prints on stderr while the date is simulated."""
    return f"SIMULATED DATE {day.isoformat()} ({config.clock.label})"


__all__ = ["SETTING", "TODAY_ENV", "SimulatedClock", "banner", "check_allowed"]
