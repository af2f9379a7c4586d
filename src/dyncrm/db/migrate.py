"""Schema versions per plugin, applied by peewee's own ``playhouse.migrations`` runner.

Each plugin (and the core, under the name ``core``) may ship a ``migrations/``
folder of numbered scripts defining ``up(migrator, db)``.  All plugins share one
history table; a script is recorded as ``<plugin>:<file name>`` so two plugins'
``0001_initial`` never collide.
"""

from __future__ import annotations

from pathlib import Path

import attrs
from playhouse.migrations import Migration, MigrationError, Runner

from dyncrm.errors import DyncrmError

HISTORY_TABLE = "dyncrm_schema_migration"


class PluginRunner(Runner):
    """A :class:`playhouse.migrations.Runner` that sees only one plugin's history."""

    def __init__(self, database, plugin: str, directory: Path) -> None:
        super().__init__(database, directory=str(directory), table_name=HISTORY_TABLE)
        self.plugin = plugin
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


def upgrade(database, sources: list[tuple[str, Path]]) -> list[str]:
    """Apply every pending migration, core first, then plugins in load order.

    Idempotent: a second call applies nothing and returns ``[]``.
    """
    applied: list[str] = []
    for runner in _runners(database, sources):
        try:
            applied.extend(runner.up())
        except MigrationError as exc:
            raise DyncrmError(f"migration of {runner.plugin!r} failed: {exc}") from exc
    return applied


__all__ = ["Migration", "MigrationStatus", "status", "upgrade"]
