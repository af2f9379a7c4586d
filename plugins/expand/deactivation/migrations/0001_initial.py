"""expand.deactivation: leave requests."""


def up(migrator, db):
    from dyncrm_expand.deactivation.models import MODELS

    db.create_tables(MODELS)


def down(migrator, db):
    from dyncrm_expand.deactivation.models import MODELS

    db.drop_tables(list(reversed(MODELS)))
