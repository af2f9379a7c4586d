"""Schema versions per plugin, applied by peewee's own ``playhouse.migrations`` runner.

Each plugin (and the core, under the name ``core``) may ship a ``migrations/``
folder of numbered scripts defining ``up(migrator, db)``.  All plugins share one
history table; a script is recorded as ``<plugin>:<file name>`` so two plugins'
``0001_initial`` never collide.

A script that needs the deployment's files as well as its database (hashing the
proof files already stored, say) asks :func:`deployment_config` while
:meth:`dyncrm.app.CRM.upgrade` runs it; run any other way it gets ``None`` and
should do without.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
from peewee import Table
from playhouse.migrations import Migration, MigrationError, Runner

from dyncrm.errors import DyncrmError, PluginError

HISTORY_TABLE = "dyncrm_schema_migration"

_DEPLOYMENT: contextvars.ContextVar[Any] = contextvars.ContextVar("dyncrm_migrating",
                                                                  default=None)


@contextlib.contextmanager
def for_deployment(config: Any) -> Iterator[None]:
    """Let the migration scripts run inside see ``config`` (:func:`deployment_config`)."""
    token = _DEPLOYMENT.set(config)
    try:
        yield
    finally:
        _DEPLOYMENT.reset(token)


def deployment_config() -> Any:
    """The :class:`~dyncrm.config.Config` of the deployment being upgraded, or ``None``.

    For migration scripts that read the deployment's files (``config.data_dir``);
    ``None`` when the scripts run without a deployment (a bare database).
    """
    return _DEPLOYMENT.get()


class PluginRunner(Runner):
    """A :class:`playhouse.migrations.Runner` that sees only one plugin's history."""

    def __init__(self, database, plugin: str, directory: Path) -> None:
        super().__init__(database, directory=str(directory), table_name=HISTORY_TABLE)
        self.plugin = plugin
        self.folder = Path(directory)
        self.prefix = f"{plugin}:"

    def migrations(self):
        return [m._replace(name=self.prefix + m.name) for m in super().migrations()]

    def applied(self):
        return {n: at for n, at in super().applied().items() if n.startswith(self.prefix)}


@attrs.frozen
class MigrationStatus:
    """One migration script and when it was applied (``None`` while pending)."""

    plugin: str
    name: str
    applied: object | None


def _runners(database, sources: list[tuple[str, Path]]) -> list[PluginRunner]:
    return [PluginRunner(database, plugin, path) for plugin, path in sources]


def status(database, sources: list[tuple[str, Path]]) -> list[MigrationStatus]:
    """Every known migration of every source, applied or pending, in apply order."""
    rows: list[MigrationStatus] = []
    for runner in _runners(database, sources):
        for m in runner.status():
            rows.append(MigrationStatus(runner.plugin, m.name.split(":", 1)[1], m.applied))
    return rows


def pending(database, sources: list[tuple[str, Path]]) -> list[str]:
    """Names (``plugin:file``) of migration scripts not yet applied, in apply order.

    Cheap enough to run before every command: the scripts are listed from their
    folders, the history is read with one query (none when the table is missing).
    """
    names = [f"{plugin}:{m.name}" for plugin, folder in sources
             for m in Migration.load_directory(str(folder))]
    if not names:
        return []
    done: set[str] = set()
    if database.table_exists(HISTORY_TABLE):
        history = Table(HISTORY_TABLE, ("name",)).bind(database)
        done = {name for (name,) in history.select(history.name).tuples()}
    return [n for n in names if n not in done]


def _migration_failed(runner: PluginRunner, exc: Exception) -> DyncrmError | None:
    """The error for a script of ``runner`` that raised ``exc``: the plugin is named.

    A full disk, a lost server or a busy database stay the operator's
    (:mod:`dyncrm.faults`); anything else a plugin's script raised is that
    plugin's fault (:class:`PluginError`, exit 3); the core's own is a bug (``None``:
    the exception goes on unchanged).
    """
    from dyncrm.db.concurrency import busy_error
    from dyncrm.faults import classify

    known = busy_error(exc) or classify(exc, database=runner.database)
    if known is not None:
        return known
    if isinstance(exc, DyncrmError):
        return exc
    where = ""
    tb = exc.__traceback__
    while tb is not None:  # the innermost line of the plugin's own script
        file = Path(tb.tb_frame.f_code.co_filename)
        if file.parent.resolve() == runner.folder.resolve():
            where = f" ({file.name}:{tb.tb_lineno})"
        tb = tb.tb_next
    message = f"migration failed{where}: {type(exc).__name__}: {exc}"
    if runner.plugin == "core":
        return None
    return PluginError(f"{message}; the migrations before it stay applied. Report this to "
                       "the plugin's authors", plugin=runner.plugin, hook="dyncrm_migrations")


def upgrade(database, sources: list[tuple[str, Path]]) -> list[str]:
    """Apply every pending migration, core first, then plugins in load order.

    Idempotent: a second call applies nothing and returns ``[]``.  A script
    that fails names its plugin (:class:`~dyncrm.errors.PluginError`, exit 3);
    the scripts applied before it stay applied.
    """
    applied: list[str] = []
    for runner in _runners(database, sources):
        try:
            applied.extend(runner.up())
        except MigrationError as exc:
            raise PluginError(f"migration failed: {exc}", plugin=runner.plugin) \
                if runner.plugin != "core" else \
                DyncrmError(f"migration of 'core' failed: {exc}") from exc
        except Exception as exc:
            error = _migration_failed(runner, exc)
            if error is None:
                raise
            raise error from exc
    if applied:
        refresh_statistics(database)
    return applied


def refresh_statistics(database) -> None:
    """Let PostgreSQL's planner see the tables as they are now (``ANALYZE``).

    Run after migrations changed the schema, so new indexes are planned with
    current row counts rather than waiting for autovacuum.  SQLite is left
    without statistics on purpose: its hot queries have indexes that win without
    them (``account(member_id, kind)``), and statistics taken once would go stale
    as the data grows.  MariaDB keeps InnoDB statistics up to date itself.
    """
    from peewee import PostgresqlDatabase

    if isinstance(database, PostgresqlDatabase):
        database.execute_sql("ANALYZE")


__all__ = ["Migration", "MigrationStatus", "deployment_config", "for_deployment", "pending",
           "refresh_statistics", "status", "upgrade"]
