"""Tables of acquire.promotion."""


def up(migrator, db):
    from dyncrm_acquire.models import PROMOTION_MODELS

    db.create_tables(PROMOTION_MODELS)


def down(migrator, db):
    from dyncrm_acquire.models import PROMOTION_MODELS

    db.drop_tables(list(reversed(PROMOTION_MODELS)))
