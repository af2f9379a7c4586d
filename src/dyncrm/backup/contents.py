"""Which files of a deployment a backup takes, besides the database.

Everything in the deployment's folder (the config file's folder) is taken, so
whatever a plugin keeps there is in the backup without the plugin having to
say so: the config, the secret keys (``web-secret``, ``card-secret``), the
data folder (transfer proofs, attachments, banners, lists archived as sent),
outbox files, reports.  Left out are the SQLite database and its ``-wal``,
``-shm`` and ``-journal`` files (the database is copied through SQLite's backup
API instead), the backup folder, other backups (``*.dyncrm.tar.gz``), the
half-written temporary files of :func:`dyncrm.files.atomic_open`, and symbolic
links (reported, never followed).  A data folder configured outside the
deployment's folder (``[paths] data_dir``) is taken too, under ``external/data``.
"""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from dyncrm.app import CRM

#: The suffix of every backup archive dyncrm names itself.
BACKUP_SUFFIX = ".dyncrm.tar.gz"
#: Names never taken (shell patterns, matched against the file or folder name).
SKIPPED_NAMES = ("*" + BACKUP_SUFFIX, ".*.tmp", ".dyncrm-backup-*", ".*.restoring-*",
                 "__pycache__")
SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")


@attrs.frozen
class Selection:
    """The files to take (absolute path, name in the archive) and the links left out."""

    files: tuple[tuple[Path, str], ...]
    skipped_links: tuple[Path, ...]


def _walk(root: Path, prefix: str, leave_out: set[Path],
          links: list[Path]) -> Iterator[tuple[Path, str]]:
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        keep = []
        for name in sorted(dirs):
            path = here / name
            if path.is_symlink():
                links.append(path)
            elif path not in leave_out and not any(fnmatch.fnmatch(name, p)
                                                   for p in SKIPPED_NAMES):
                keep.append(name)
        dirs[:] = keep
        for name in sorted(names):
            path = here / name
            if path in leave_out or any(fnmatch.fnmatch(name, p) for p in SKIPPED_NAMES):
                continue
            if path.is_symlink():
                links.append(path)
                continue
            if not path.is_file():
                continue  # sockets, pipes
            yield path, f"{prefix}/{path.relative_to(root).as_posix()}"


def deployment_files(crm: CRM, *, extra_leave_out: tuple[Path, ...] = ()) -> Selection:
    """The files a backup of ``crm``'s deployment takes (see the module's text)."""
    base = Path(crm.config.base_dir).resolve()
    leave_out = {p.resolve() for p in extra_leave_out}
    leave_out.add(backup_folder(crm).resolve())
    url = crm.config.database_url
    if url.startswith("sqlite"):
        from dyncrm.backup.database import sqlite_file

        db_file = sqlite_file(url).resolve()
        leave_out.update(Path(f"{db_file}{s}") for s in SQLITE_SIDECARS)
    links: list[Path] = []
    files = list(_walk(base, "files", leave_out, links))
    data = Path(crm.config.data_dir).resolve()
    if data.is_dir() and not data.is_relative_to(base):
        files.extend(_walk(data, "external/data", leave_out, links))
    return Selection(tuple(files), tuple(links))


def backup_folder(crm: CRM) -> Path:
    """Where backups go by default: ``[backup] folder`` beside the config."""
    return crm.config.resolve(crm.config.backup.folder)


__all__ = ["BACKUP_SUFFIX", "Selection", "backup_folder", "deployment_files"]
