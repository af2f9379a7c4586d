"""acquire.promotion: a banner image per promotion (stored file name and its size in pixels).

0001 creates the tables from the current models, so a database created after this
change has these columns already: only what is missing is added.
"""

from peewee import CharField, IntegerField

TABLE = "acquire_promotion"
COLUMNS = (("banner", CharField(null=True)),
           ("banner_width", IntegerField(null=True)),
           ("banner_height", IntegerField(null=True)))


def up(migrator, db):
    have = {c.name for c in db.get_columns(TABLE)}
    ops = [migrator.add_column(TABLE, name, field) for name, field in COLUMNS
           if name not in have]
    if ops:
        migrator.migrate(*ops)


def down(migrator, db):
    have = {c.name for c in db.get_columns(TABLE)}
    ops = [migrator.drop_column(TABLE, name) for name, _ in COLUMNS if name in have]
    if ops:
        migrator.migrate(*ops)
