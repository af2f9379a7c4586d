"""Tell the machine's failures from bugs: environment faults named for the operator.

A full disk, a read-only database or folder, a path that is a file where a
folder belongs, missing permissions, a database server that went away: none of
these is the user's input, a plugin's fault or a bug in dyncrm, and none is
fixed by reporting a traceback.  :func:`classify` turns such an exception into
an :class:`~dyncrm.errors.EnvironmentFault` whose message names the file (or
the database, or the server) and the cause, and says what to do::

    cannot write /srv/kop/dyncrm.db: the disk is full; nothing was saved
    — free space and run the command again

The CLI applies it to every unexpected exception before it blames a plugin
(``dyncrm.cli.main``), so an ``OSError`` raised inside a plugin's write is the
operator's to fix, not the plugin's.  Library code can use it the same way::

    try:
        ...
    except Exception as exc:
        fault = classify(exc, database=crm.database)
        if fault is None:
            raise
        raise fault from exc

What it recognises:

* SQLite: ``database or disk is full``, ``attempt to write a readonly
  database``, ``unable to open database file``, ``disk I/O error``, a damaged
  file or one that is not a database.  SQLite does not say which file or why,
  so the database file and its folder are examined to say it.
* ``OSError`` on files: no space (``ENOSPC``, ``EDQUOT``), read-only file
  system (``EROFS``), no permission (``EACCES``, ``EPERM``), a file where a
  folder belongs (``ENOTDIR``, ``EEXIST``), a folder where a file belongs
  (``EISDIR``), I/O errors (``EIO``), too many open files; a missing path
  (``ENOENT``) only outside the installed code (a template a plugin ships
  that is missing is the plugin's bug, a deployment folder that is missing is not).
* PostgreSQL (psycopg2) and MariaDB/MySQL (PyMySQL): the connection lost or
  refused, the server's disk full, a read-only server, a refused login.

"The database is busy" (a lock held by another writer) is not handled here:
:mod:`dyncrm.db.concurrency` turns it into :class:`~dyncrm.errors.DatabaseBusy`.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from dyncrm.errors import EnvironmentFault
from dyncrm.i18n import N_

#: SQLite primary result codes this module explains.
SQLITE_PERM, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CORRUPT = 3, 8, 10, 11
SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 13, 14, 26

_SQLITE_TEXT = (  # message fragments, for drivers that do not give the code
    ("database or disk is full", SQLITE_FULL),
    ("readonly database", SQLITE_READONLY),
    ("unable to open database", SQLITE_CANTOPEN),
    ("disk i/o error", SQLITE_IOERR),
    ("database disk image is malformed", SQLITE_CORRUPT),
    ("file is not a database", SQLITE_NOTADB),
    ("access permission denied", SQLITE_PERM),
)

#: Below this many free bytes a file system counts as full.
LOW_SPACE = 256 * 1024

_AGAIN = N_("run the command again")

_OS_CAUSES = {
    errno.ENOSPC: N_("the disk is full"),
    errno.EDQUOT: N_("the disk quota is used up"),
    errno.EROFS: N_("the file system is read-only"),
    errno.EACCES: N_("permission denied"),
    errno.EPERM: N_("operation not permitted"),
    errno.ENOTDIR: N_("a part of the path is a file, not a folder"),
    errno.EISDIR: N_("it is a folder, not a file"),
    errno.EIO: N_("input/output error (the disk may be failing)"),
    errno.EMFILE: N_("too many open files"),
    errno.ENFILE: N_("too many open files in the system"),
    errno.ENOENT: N_("it does not exist"),
    errno.EEXIST: N_("a file is in the way where a folder belongs"),
}

_OS_ADVICE = {
    errno.ENOSPC: N_("free space and run the command again"),
    errno.EDQUOT: N_("free space or raise the quota and run the command again"),
    errno.EROFS: N_("make it writable (check how it is mounted) and run the command again"),
    errno.EACCES: N_("give the user running dyncrm access and run the command again"),
    errno.EPERM: N_("give the user running dyncrm access and run the command again"),
    errno.ENOTDIR: N_("move the file away or correct the configured path"),
    errno.EISDIR: N_("correct the configured path"),
    errno.EIO: N_("check the disk and run the command again"),
    errno.EMFILE: N_("raise the open-file limit (ulimit -n) and run the command again"),
    errno.ENFILE: N_("close other programs or raise the system's limit, and run the command "
                     "again"),
    errno.ENOENT: N_("create it or correct the configured path"),
    errno.EEXIST: N_("move the file away or correct the configured path"),
}

#: Errors whose meaning depends on where they happen (see :func:`classify`).
_PATH_SHAPE = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EEXIST})


# -- walking an exception ---------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: ``__cause__``, the driver error peewee keeps
    (``orig``, or ``args[0]``), and the implicit context of database errors."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)  # peewee keeps the driver's error here
        if isinstance(orig, BaseException):
            todo.append(orig)
        if current.args and isinstance(current.args[0], BaseException):
            todo.append(current.args[0])
        if current.__cause__ is not None:
            todo.append(current.__cause__)
        elif _is_database_error(current) and not current.__suppress_context__:
            todo.append(current.__context__)


def _is_database_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.split(".")[0] in ("peewee", "sqlite3", "psycopg2", "psycopg", "pymysql",
                                    "MySQLdb", "_sqlite3")


# -- naming the database ------------------------------------------------------------


def _real(database: Any) -> Any:
    return getattr(database, "obj", database) if database is not None else None


def _current_database() -> Any:
    from dyncrm.db.base import db

    return db.obj


def sqlite_path(database: Any) -> Path | None:
    """The file of a SQLite ``database`` (``None`` for other backends and ``:memory:``)."""
    from peewee import SqliteDatabase

    database = _real(database)
    if not isinstance(database, SqliteDatabase):
        return None
    name = database.database
    if not name or name == ":memory:" or str(name).startswith("file::memory:"):
        return None
    return Path(name).absolute()


def server_name(database: Any) -> str:
    """``host:port/name`` of a server ``database``, for messages."""
    database = _real(database)
    if database is None:
        return "the database server"
    params = getattr(database, "connect_params", {}) or {}
    host = params.get("host") or "localhost"
    port = params.get("port")
    where = f"{host}:{port}" if port else str(host)
    return f"the database server {where} (database {database.database!r})"


# -- examining paths ------------------------------------------------------------------


def _free_bytes(path: Path) -> int | None:
    for candidate in (path, *path.parents):
        try:
            st = os.statvfs(candidate)
        except OSError:
            continue
        return st.f_bavail * st.f_frsize
    return None


def _read_only_fs(path: Path) -> bool:
    for candidate in (path, *path.parents):
        try:
            return bool(os.statvfs(candidate).f_flag & os.ST_RDONLY)
        except OSError:
            continue
    return False


def _disk_full(path: Path) -> bool:
    free = _free_bytes(path)
    return free is not None and free < LOW_SPACE


def _missing_folder(path: Path) -> Path | None:
    """The first folder on the way to ``path`` that does not exist, or ``None``."""
    for parent in reversed(path.parents):
        if not parent.exists():
            return parent
    return None


def _file_in_the_way(path: Path) -> Path | None:
    """A part of the way to ``path`` that is a file, not a folder, or ``None``."""
    for parent in reversed(path.parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def _code_roots() -> list[Path]:
    """The Python installation and the folders of every imported top-level package
    (an editable install's source folders are not under ``sys.prefix``)."""
    roots = {Path(sys.prefix), Path(sys.base_prefix), Path(sys.exec_prefix)}
    for name, module in list(sys.modules.items()):
        if "." in name or module is None:
            continue
        for folder in getattr(module, "__path__", None) or ():
            roots.add(Path(folder).absolute())
        file = getattr(module, "__file__", None)
        if file and not getattr(module, "__path__", None):
            roots.add(Path(file).absolute())
    return sorted(roots)


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    path = path.absolute()
    return any(path == r or r in path.parents for r in roots)


# -- the classification -----------------------------------------------------------------


def _sqlite_code(exc: BaseException) -> int | None:
    if not isinstance(exc, sqlite3.Error) and type(exc).__module__ != "peewee":
        return None
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF
    text = str(exc).lower()
    for fragment, value in _SQLITE_TEXT:
        if fragment in text:
            return value
    return None


def _sqlite_fault(code: int, path: Path | None, detail: str) -> EnvironmentFault | None:
    name = str(path) if path else "the SQLite database"
    saved = N_("nothing was saved")
    if code == SQLITE_FULL:
        if path is not None and not _disk_full(path):
            cause = N_("the database reached its size limit (or the disk is full)")
        else:
            cause = N_("the disk is full")
        return EnvironmentFault(f"cannot write {name}: {cause}; {saved} — free space and "
                                f"{_AGAIN}", path=str(path) if path else None, cause=cause)
    if code in (SQLITE_READONLY, SQLITE_PERM):
        cause = N_("the database is read-only")
        if path is not None:
            folder = path.parent
            if _read_only_fs(path):
                cause = N_("the file system is mounted read-only")
            elif path.exists() and not os.access(path, os.W_OK):
                cause = N_("the file is read-only (no write permission)")
            elif not os.access(folder, os.W_OK):
                cause = (f"the folder {folder} is not writable (SQLite writes its "
                         f"{path.name}-wal and -shm files there)")
        return EnvironmentFault(f"cannot write {name}: {cause}; {saved} — make it writable "
                                f"and {_AGAIN}", path=str(path) if path else None, cause=cause)
    if code == SQLITE_CANTOPEN:
        cause, advice = N_("SQLite cannot open it"), N_("check the path in [database] url")
        if path is not None:
            missing, in_the_way = _missing_folder(path), _file_in_the_way(path)
            if in_the_way is not None:
                cause = f"{in_the_way} is a file, not a folder"
                advice = N_("correct [database] url or move the file away")
            elif missing is not None:
                cause = f"the folder {missing} does not exist"
                advice = N_("create it or correct [database] url")
            elif path.is_dir():
                cause = N_("it is a folder, not a database file")
                advice = N_("correct [database] url")
            elif _read_only_fs(path):
                cause = N_("the file system is mounted read-only")
                advice = N_("make it writable")
            elif not path.exists() and not os.access(path.parent, os.W_OK):
                cause = f"no permission to create files in {path.parent}"
                advice = N_("give the user running dyncrm access")
            elif path.exists() and not os.access(path, os.R_OK | os.W_OK):
                cause = N_("no permission to read and write it")
                advice = N_("give the user running dyncrm access")
            elif _disk_full(path):
                cause = N_("the disk is full")
                advice = N_("free space")
        return EnvironmentFault(f"cannot open the database {name}: {cause} — {advice}, then "
                                f"{_AGAIN}", path=str(path) if path else None, cause=cause)
    if code == SQLITE_IOERR:
        if path is not None and _disk_full(path):
            return _sqlite_fault(SQLITE_FULL, path, detail)
        if path is not None and _read_only_fs(path):
            return _sqlite_fault(SQLITE_READONLY, path, detail)
        cause = N_("disk I/O error")
        return EnvironmentFault(f"cannot read or write {name}: {cause}; {saved} — "
                                f"check the disk (free space, mount, health) and {_AGAIN}",
                                path=str(path) if path else None, cause=cause)
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        cause = (N_("the file is damaged") if code == SQLITE_CORRUPT
                 else N_("it is not a SQLite database"))
        return EnvironmentFault(f"cannot use {name}: {cause} ({detail}) — restore it from a "
                                "backup or correct [database] url",
                                path=str(path) if path else None, cause=cause)
    return None


def _os_fault(exc: OSError, *, roots: Iterable[Path] | None, path: Path | None
              ) -> EnvironmentFault | None:
    code = exc.errno
    if code not in _OS_CAUSES:
        return None
    filename = exc.filename if exc.filename is not None else path
    target = Path(os.fsdecode(filename)) if filename is not None else None
    if code in _PATH_SHAPE:
        if target is None:
            return None
        if roots is not None:
            if not _inside(target, roots):
                return None
        elif _inside(target, _code_roots()):
            return None  # the installed code's own files: a bug, not the machine
        if code == errno.EEXIST and (not target.exists() or target.is_dir()):
            return None
    cause = _OS_CAUSES[code]
    if code == errno.ENOENT and target is not None:
        missing = _missing_folder(target)
        if missing is not None:
            cause = f"the folder {missing} does not exist"
    if code == errno.ENOTDIR and target is not None:
        in_the_way = _file_in_the_way(target)
        if in_the_way is not None:
            cause = f"{in_the_way} is a file, not a folder"
    if code in (errno.EACCES, errno.EPERM) and target is not None and _read_only_fs(target):
        cause = N_("the file system is read-only")
    second = f" → {os.fsdecode(exc.filename2)}" if exc.filename2 else ""
    what = f"{target}{second}" if target is not None else N_("a file")
    verb = N_("write") if code in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) else N_("use")
    return EnvironmentFault(f"cannot {verb} {what}: {cause} — {_OS_ADVICE[code]}",
                            path=str(target) if target is not None else None, cause=cause)


def _pg_fault(exc: BaseException, database: Any) -> EnvironmentFault | None:
    try:
        import psycopg2
    except ImportError:  # pragma: no cover - the driver is an extra
        return None
    if not isinstance(exc, psycopg2.OperationalError | psycopg2.InterfaceError):
        return None
    detail = " ".join(str(exc).split()) or type(exc).__name__
    code = getattr(exc, "pgcode", None) or ""
    where = server_name(database)
    if code == "53100":
        cause = N_("the server's disk is full")
    elif code == "25006":
        cause = N_("the server accepts no writes (read-only)")
    elif code.startswith("28"):
        cause = N_("the server refused the login")
    elif code == "53300":
        cause = N_("the server has too many connections")
    elif code and not code.startswith(("08", "57P", "58", "53")):
        return None  # a statement the server refused: not the machine
    elif "could not connect" in detail or "connection refused" in detail.lower() \
            or "could not translate host" in detail:
        return EnvironmentFault(f"cannot connect to {where}: {detail} — check that it runs "
                                f"and that [database] url is right, then {_AGAIN}",
                                path=where, cause="cannot connect")
    else:
        cause = N_("the connection was lost")
    return EnvironmentFault(f"{cause} ({where}: {detail}); what the command had not yet "
                            f"committed was discarded — check the server, then {_AGAIN}",
                            path=where, cause=cause)


#: PyMySQL/MariaDB error numbers: connection, server resources, read-only, login.
_MYSQL_CONNECT = frozenset({2002, 2003, 2005})
_MYSQL_LOST = frozenset({2006, 2013, 2055, 0})
_MYSQL_CAUSES = {1021: N_("the server's disk is full"),
                 1114: N_("a table on the server is full"),
                 1290: N_("the server runs read-only"), 1836: N_("the server runs read-only"),
                 1040: N_("the server has too many connections"),
                 1045: N_("the server refused the login"),
                 1049: N_("the database does not exist"),
                 3: N_("the server could not write a file"),
                 1030: N_("the server's storage failed")}


def _mysql_fault(exc: BaseException, database: Any) -> EnvironmentFault | None:
    if not (type(exc).__module__ or "").startswith("pymysql"):
        return None
    try:
        import pymysql
    except ImportError:  # pragma: no cover
        return None
    if not isinstance(exc, pymysql.err.OperationalError | pymysql.err.InterfaceError):
        return None
    number = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
    detail = " ".join(str(exc.args[1] if len(exc.args) > 1 else exc).split()) or \
        "connection closed"
    where = server_name(database)
    if number in _MYSQL_CONNECT:
        return EnvironmentFault(f"cannot connect to {where}: {detail} — check that it runs "
                                f"and that [database] url is right, then {_AGAIN}",
                                path=where, cause="cannot connect")
    if number in _MYSQL_LOST:
        cause = "the connection was lost"
    elif number in _MYSQL_CAUSES:
        cause = _MYSQL_CAUSES[number]
    else:
        return None
    return EnvironmentFault(f"{cause} ({where}: {detail}); what the command had not yet "
                            f"committed was discarded — check the server, then {_AGAIN}",
                            path=where, cause=cause)


def classify(exc: BaseException, *, database: Any = None,
             roots: Iterable[str | Path] | None = None,
             path: str | Path | None = None) -> EnvironmentFault | None:
    """The :class:`EnvironmentFault` that ``exc`` amounts to, or ``None``.

    :param database: the peewee database the error came from, to name its file or
        server (default: the one :data:`dyncrm.db.db` is bound to).
    :param roots: where a missing path (``ENOENT``, a file where a folder belongs)
        counts as the machine's fault: the deployment's folders.  By default
        anywhere outside the installed code.
    :param path: the file being written, when the ``OSError`` does not say
        (a failed ``write()`` carries no file name).
    An ``EnvironmentFault`` (or :class:`~dyncrm.errors.DatabaseBusy`) is
    returned as it is.  Never raises.
    """
    if isinstance(exc, EnvironmentFault):
        return exc
    try:
        return _classify(exc, database, roots, path)
    except Exception:  # pragma: no cover - classifying must never add a second failure
        return None


def _classify(exc: BaseException, database: Any, roots: Iterable[str | Path] | None,
              path: str | Path | None) -> EnvironmentFault | None:
    from dyncrm.db.concurrency import is_busy

    if is_busy(exc):
        return None  # DatabaseBusy's business (dyncrm.db.concurrency)
    if database is None:
        database = _current_database()
    root_paths = [Path(r).absolute() for r in roots] if roots is not None else None
    target = Path(path).absolute() if path is not None else None
    for cause in _chain(exc):
        if isinstance(cause, EnvironmentFault):
            return cause
        if isinstance(cause, OSError) and type(cause).__module__ == "builtins":
            fault = _os_fault(cause, roots=root_paths, path=target)
            if fault is not None:
                return fault
            continue
        code = _sqlite_code(cause)
        if code is not None:
            fault = _sqlite_fault(code, sqlite_path(database), str(cause))
            if fault is not None:
                return fault
        fault = _pg_fault(cause, database) or _mysql_fault(cause, database)
        if fault is not None:
            return fault
    return None


__all__ = ["classify", "server_name", "sqlite_path"]
