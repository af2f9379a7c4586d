"""One database proxy for every model, initialised from a URL at start-up."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from peewee import DatabaseProxy, Model, TextField
from playhouse import db_url

from dyncrm.errors import ConfigError

#: The proxy every model binds to; :func:`connect` initialises it.
db = DatabaseProxy()

SQLITE_PRAGMAS = {
    # first: the pragmas after it (journal_mode) may already wait for a lock
    "busy_timeout": 10_000,
    "journal_mode": "wal",
    "foreign_keys": 1,
    "synchronous": "normal",
}


class BaseModel(Model):
    """Base class of every table, core or plugin: binds to :data:`db`."""

    class Meta:
        database = db
        legacy_table_names = False


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


#: ``value`` as the JSON text a :class:`JSONField` stores (one encoder, built once:
#: bulk writers encode thousands of values).
json_text = json.JSONEncoder(default=_json_default, sort_keys=True, ensure_ascii=False).encode


class JSONField(TextField):
    """JSON stored as text: portable across SQLite, PostgreSQL and MySQL."""

    def db_value(self, value: Any) -> str | None:
        if value is None:
            return None
        return json_text(value)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


def connect(url: str):
    """Open the database named by ``url`` and bind :data:`db` to it.

    ``sqlite:///path`` (relative) or ``sqlite:////abs/path``, ``postgresql://…``,
    ``mysql://…``.  SQLite gets WAL, foreign keys and a busy timeout.
    """
    try:
        if url.startswith("sqlite"):
            database = db_url.connect(url, pragmas=SQLITE_PRAGMAS)
        else:
            database = db_url.connect(url)
    except (RuntimeError, ValueError) as exc:
        raise ConfigError(f"cannot use database URL {url!r}: {exc}", key="database.url") from exc
    except ImportError as exc:
        raise ConfigError(
            f"the driver for {url.split(':', 1)[0]!r} is not installed ({exc.name}); "
            "install the extra, e.g. pip install 'dyncrm[postgres]'",
            key="database.url",
        ) from exc
    if "passwd" in database.connect_params:
        # playhouse.db_url still hands PyMySQL its deprecated ``passwd`` alias
        database.connect_params["password"] = database.connect_params.pop("passwd")
    from dyncrm.db.concurrency import prepare_sessions

    prepare_sessions(database)  # READ COMMITTED on MariaDB, lock waits bounded on servers
    from dyncrm.db.rollback import guard_rollbacks

    guard_rollbacks(database)  # a failed rollback never hides the error that caused it
    from dyncrm.db.textguard import guard_text

    guard_text(database)  # no control character or bidi override reaches a table
    if url.startswith("sqlite") and database.database != ":memory:":
        _private_on_first_connect(database, Path(database.database))
    db.initialize(database)
    return database


def _private_on_first_connect(database: Any, path: Path) -> None:
    """Make the SQLite file private when a connection is first opened (not before: a
    command refused while reading its configuration must leave no file behind)."""
    original = database._connect

    def _connect(*args: Any, **kwargs: Any) -> Any:
        make_private(path)
        return original(*args, **kwargs)

    database._connect = _connect


def make_private(path: Path) -> None:
    """Create the SQLite file ``path`` readable by its owner only (0600), or take the
    world's access away from an existing one and its WAL and shared-memory files.

    SQLite gives the WAL and ``-shm`` files the database file's permissions, so a
    private database file keeps them private too.  An ``OSError`` here is left to
    the first real access, which names the file and the cause.
    """
    import os
    import stat

    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        return
    except FileExistsError:
        pass
    except OSError:
        return
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = part.stat().st_mode
            if mode & stat.S_IRWXO:
                os.chmod(part, stat.S_IMODE(mode) & ~stat.S_IRWXO)
        except OSError:
            continue
