"""Sign-in: sessions (token hashes only), login throttling, the channel of every action.

``touchpoint.channel`` and ``action_key.channel`` record whether the person acted
from the command line, the web or as the scheduler (``cli``, ``web``, ``system``);
rows written before this migration say ``unknown``.  Only what is missing is added,
since 0001 creates the tables from the current models.
"""

from peewee import CharField


def _add_channel(migrator, db, table):
    if "channel" not in {c.name for c in db.get_columns(table)}:
        migrator.migrate(migrator.add_column(
            table, "channel", CharField(max_length=16, default="unknown")))


def up(migrator, db):
    from dyncrm.db.models import LoginThrottle, UserSession

    db.create_tables([UserSession, LoginThrottle])
    _add_channel(migrator, db, "touchpoint")
    _add_channel(migrator, db, "action_key")


def down(migrator, db):
    from dyncrm.db.models import LoginThrottle, UserSession

    migrator.migrate(migrator.drop_column("touchpoint", "channel"),
                     migrator.drop_column("action_key", "channel"))
    db.drop_tables([LoginThrottle, UserSession])
