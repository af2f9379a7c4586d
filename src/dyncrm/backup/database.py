"""The database part of a backup: copy out and load back, per backend.

* SQLite: the online backup API (:meth:`sqlite3.Connection.backup`) copies the
  live database page by page while others keep working, and ``PRAGMA
  integrity_check`` must answer ``ok`` on the copy before it goes into the
  archive (and again before a restored file is put in place).
* PostgreSQL: ``pg_dump --format=custom`` (one consistent snapshot), loaded
  back with ``pg_restore --single-transaction`` into an empty database, so a
  failed restore leaves it empty.
* MariaDB/MySQL: ``mariadb-dump`` (or ``mysqldump``) ``--single-transaction``
  (one consistent InnoDB snapshot, no lock on the tables), loaded back with the
  ``mariadb`` (or ``mysql``) client into an empty database.

Passwords never appear on a command line: the programs get them through
their environment (``PGPASSWORD``, ``MYSQL_PWD``).  A program that is missing or
fails is the operator's to fix (:class:`~dyncrm.errors.EnvironmentFault`, exit 5),
named with what it said.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

from dyncrm.errors import ConfigError, DyncrmError, EnvironmentFault

#: The dump's name inside the archive, per backend.
DUMP_NAMES = {"sqlite": "database/dyncrm.sqlite3", "postgresql": "database/dyncrm.pgdump",
              "mysql": "database/dyncrm.sql"}
#: Programs tried in order, per backend and direction.
PROGRAMS = {("postgresql", "dump"): ("pg_dump",), ("postgresql", "load"): ("pg_restore",),
            ("mysql", "dump"): ("mariadb-dump", "mysqldump"),
            ("mysql", "load"): ("mariadb", "mysql")}
INSTALL_HINT = {"postgresql": "install the PostgreSQL client programs of the server's version "
                              "(Debian/Ubuntu: apt install postgresql-client)",
                "mysql": "install the MariaDB client programs (Debian/Ubuntu: apt install "
                         "mariadb-client)"}


def backend_of(url: str) -> str:
    """``sqlite``, ``postgresql`` or ``mysql`` for a database URL."""
    scheme = url.split(":", 1)[0].split("+", 1)[0].lower()
    if scheme.startswith("sqlite"):
        return "sqlite"
    if scheme in ("postgres", "postgresql", "postgresext"):
        return "postgresql"
    if scheme in ("mysql", "mariadb"):
        return "mysql"
    raise ConfigError(f"backups know SQLite, PostgreSQL and MariaDB/MySQL, not {scheme!r}",
                      key="database.url")


def sqlite_file(url: str) -> Path:
    """The file of a ``sqlite:///`` URL (as the loaded config has made it absolute)."""
    path = url.split("://", 1)[1][1:] if "://" in url else url
    return Path(unquote(path.split("?", 1)[0]))


# -- SQLite ----------------------------------------------------------------------


def integrity_problems(path: Path) -> list[str]:
    """What ``PRAGMA integrity_check`` finds wrong in the SQLite file ``path`` ([] = ok)."""
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return [str(exc)]
    finally:
        conn.close()
    return [] if rows == ["ok"] else rows


def dump_sqlite(source: Path, target: Path) -> None:
    """Copy the live SQLite database ``source`` to ``target`` (0600) and check the copy."""
    if not source.is_file():
        raise EnvironmentFault(f"cannot back up {source}: the database file is missing",
                               path=str(source), cause="missing")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.close(fd)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file in the archive
    except sqlite3.DatabaseError as exc:
        from dyncrm.faults import classify

        raise classify(exc) or EnvironmentFault(
            f"cannot copy {source}: {exc}", path=str(source)) from exc
    finally:
        dst.close()
        src.close()
    problems = integrity_problems(target)
    if problems:
        raise EnvironmentFault(
            f"the copy of {source} fails its integrity check ({'; '.join(problems[:3])}); "
            "the database file itself may be damaged: run 'sqlite3 "
            f"{source} \"PRAGMA integrity_check\"' and restore the last good backup",
            path=str(source), cause="corrupt")


def load_sqlite(dump: Path, target: Path) -> None:
    """Put the checked SQLite copy ``dump`` in place as ``target`` (0600)."""
    problems = integrity_problems(dump)
    if problems:
        raise DyncrmError(f"the database in the backup fails its integrity check "
                          f"({'; '.join(problems[:3])}); nothing was restored")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.replace(dump, target)
    os.chmod(target, 0o600)


# -- servers ---------------------------------------------------------------------


def _program(backend: str, direction: str) -> str:
    names = PROGRAMS[(backend, direction)]
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    raise EnvironmentFault(
        f"cannot {'back up' if direction == 'dump' else 'restore'} the {backend} database: "
        f"{' or '.join(names)} is not installed or not on PATH; {INSTALL_HINT[backend]} "
        "and run the command again", path=names[0], cause="missing program")


def _parts(url: str) -> tuple[str, int | None, str | None, str | None, str]:
    split = urlsplit(url)
    database = unquote(split.path.lstrip("/"))
    if not database:
        raise ConfigError(f"the database URL {split.scheme}://{split.hostname}/... names no "
                          "database", key="database.url")
    return (split.hostname or "localhost", split.port,
            unquote(split.username) if split.username else None,
            unquote(split.password) if split.password else None, database)


def _run(argv: list[str], env: dict[str, str], what: str, *, stdin=None,
         stdout=None) -> None:
    program = Path(argv[0]).name
    try:
        done = subprocess.run(argv, env={**os.environ, **env}, stdin=stdin, stdout=stdout,
                              stderr=subprocess.PIPE, check=False)
    except OSError as exc:
        raise EnvironmentFault(f"cannot run {argv[0]}: {exc.strerror}", path=argv[0],
                               cause=exc.strerror) from exc
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        told = " | ".join(said) or "no message"
        raise EnvironmentFault(f"{program} failed ({what}, exit {done.returncode}): {told}",
                               path=argv[0], cause="program failed")


def pg_env(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection options for the PostgreSQL programs: arguments and environment."""
    host, port, user, password, database = _parts(url)
    args = ["--host", host, "--dbname", database]
    if port:
        args += ["--port", str(port)]
    if user:
        args += ["--username", user]
    env = {"PGPASSWORD": password} if password else {}
    env["PGCONNECT_TIMEOUT"] = "10"
    return args, env


def mysql_env(url: str) -> tuple[list[str], dict[str, str], str]:
    """Connection options for the MariaDB programs: arguments, environment, database."""
    host, port, user, password, database = _parts(url)
    args = ["--host", host, "--protocol", "tcp"]
    if port:
        args += ["--port", str(port)]
    if user:
        args += ["--user", user]
    return args, ({"MYSQL_PWD": password} if password else {}), database


def dump_server(url: str, target: Path) -> None:
    """Dump the server database of ``url`` to ``target`` (0600)."""
    backend = backend_of(url)
    program = _program(backend, "dump")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    if backend == "postgresql":
        os.close(fd)
        args, env = pg_env(url)
        _run([program, "--format=custom", "--no-owner", "--no-privileges",
              "--file", str(target), *args], env, "dumping the database")
        return
    args, env, database = mysql_env(url)
    with os.fdopen(fd, "wb") as out:
        _run([program, "--single-transaction", "--routines", "--triggers",
              "--no-tablespaces", "--hex-blob", *args, database], env,
             "dumping the database", stdout=out)


def load_server(url: str, dump: Path, *, replace: bool = False) -> None:
    """Load ``dump`` into the server database of ``url``.

    PostgreSQL restores in one transaction: on failure the database is as it
    was.  MariaDB cannot (its DDL commits): on failure the target may hold part
    of the tables, which the error says.
    """
    backend = backend_of(url)
    program = _program(backend, "load")
    if backend == "postgresql":
        args, env = pg_env(url)
        clean = ["--clean", "--if-exists"] if replace else []
        _run([program, "--no-owner", "--no-privileges", "--exit-on-error",
              "--single-transaction", *clean, *args, str(dump)], env,
             "restoring the database; nothing was changed in it")
        return
    args, env, database = mysql_env(url)
    with dump.open("rb") as fh:
        try:
            _run([program, *args, database], env, "restoring the database", stdin=fh)
        except EnvironmentFault as exc:
            raise EnvironmentFault(
                f"{exc}; the database {database} may now hold part of the backup: drop and "
                "create it empty before trying again", path=exc.path, cause=exc.cause) from exc


@contextlib.contextmanager
def opened(url: str):
    """A peewee connection to ``url`` for a quick look, closed afterwards.

    Not bound to :data:`dyncrm.db.db`, so a deployment open in the same process
    keeps its own.
    """
    from playhouse import db_url

    database = db_url.connect(url)
    if "passwd" in database.connect_params:
        database.connect_params["password"] = database.connect_params.pop("passwd")
    try:
        yield database
    finally:
        with contextlib.suppress(Exception):
            database.close()


__all__ = ["DUMP_NAMES", "backend_of", "dump_server", "dump_sqlite", "integrity_problems",
           "load_server", "load_sqlite", "opened", "sqlite_file"]
