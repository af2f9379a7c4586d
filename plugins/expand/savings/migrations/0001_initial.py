"""expand.savings: deposits, obligations and member classes."""


def up(migrator, db):
    from dyncrm_expand.savings.models import MODELS

    db.create_tables(MODELS)


def down(migrator, db):
    from dyncrm_expand.savings.models import MODELS

    db.drop_tables(list(reversed(MODELS)))
