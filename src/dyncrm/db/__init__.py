"""Persistence: the database proxy, core tables and the migration runner.

peewee models live here and in plugins' own modules; they never cross a hook
boundary (hooks speak in the attrs values of :mod:`dyncrm.values`).
"""

from dyncrm.db.base import BaseModel, JSONField, connect, db

__all__ = ["BaseModel", "JSONField", "connect", "db"]
