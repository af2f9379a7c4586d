"""retain.feedback: tickets and their history."""


def up(migrator, db):
    from dyncrm_retain.feedback.models import MODELS

    db.create_tables(MODELS)


def down(migrator, db):
    from dyncrm_retain.feedback.models import MODELS

    db.drop_tables(list(reversed(MODELS)))
