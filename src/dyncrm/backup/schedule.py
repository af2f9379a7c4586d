"""The daily backup: ``dyncrm run-due`` takes one when ``[backup] daily = true``.

The backup of a day is named ``backup-<date>-daily.dyncrm.tar.gz`` (the
organisation's date), in ``[backup] folder``; a second run on the same day finds
it and does nothing.  After writing one, the oldest daily backups beyond
``[backup] keep`` are deleted.  Backups taken by hand (``dyncrm backup``) are
never deleted by the schedule.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING

from dyncrm.backup.contents import BACKUP_SUFFIX, backup_folder
from dyncrm.values import ScheduledJob

if TYPE_CHECKING:
    from dyncrm.app import CRM

DAILY = re.compile(r"backup-(\d{4}-\d{2}-\d{2})-daily" + re.escape(BACKUP_SUFFIX))


def daily_name(day: dt.date) -> str:
    """``backup-2026-12-01-daily.dyncrm.tar.gz``."""
    return f"backup-{day.isoformat()}-daily{BACKUP_SUFFIX}"


def daily_backups(folder: Path) -> list[Path]:
    """The daily backups in ``folder``, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if DAILY.fullmatch(p.name) and p.is_file())


def prune(folder: Path, keep: int) -> list[Path]:
    """Delete the daily backups in ``folder`` beyond the newest ``keep``; returns them."""
    old = daily_backups(folder)[:-keep] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
    return old


def run_daily(crm: CRM, day: dt.date) -> str:
    """The scheduled job: today's backup unless taken already, then prune."""
    from dyncrm.backup.create import make_backup

    folder = backup_folder(crm)
    path = folder / daily_name(day)
    if path.exists():
        return f"already taken for {day.isoformat()} ({path})"
    result = make_backup(crm, path)
    removed = prune(folder, crm.config.backup.keep)
    gone = f"; deleted {len(removed)} older daily backup(s)" if removed else ""
    return f"wrote {result.path} ({result.size} bytes){gone}"


def jobs(crm: CRM) -> list[ScheduledJob]:
    """The backup job, when ``[backup] daily = true``."""
    if not crm.config.backup.daily:
        return []
    return [ScheduledJob("backup.daily", run_daily,
                         "a backup of the database and the deployment's files, once a day")]


__all__ = ["daily_backups", "daily_name", "jobs", "prune", "run_daily"]
