"""retain.reminders: the log of queued reminders."""


def up(migrator, db):
    from dyncrm_retain.reminders.models import MODELS

    db.create_tables(MODELS)


def down(migrator, db):
    from dyncrm_retain.reminders.models import MODELS

    db.drop_tables(list(reversed(MODELS)))
