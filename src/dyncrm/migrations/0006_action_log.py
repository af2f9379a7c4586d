"""The audit trail: one row per action that ran, with the person and the channel."""


def up(migrator, db):
    from dyncrm.db.models import ActionLog

    db.create_tables([ActionLog])


def down(migrator, db):
    from dyncrm.db.models import ActionLog

    db.drop_tables([ActionLog])
