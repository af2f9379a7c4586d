"""Tables of acquire.registration."""


def up(migrator, db):
    from dyncrm_acquire.models import REGISTRATION_MODELS

    db.create_tables(REGISTRATION_MODELS)


def down(migrator, db):
    from dyncrm_acquire.models import REGISTRATION_MODELS

    db.drop_tables(list(reversed(REGISTRATION_MODELS)))
