"""expand.loans: loans, installments, payments and the decision history."""


def up(migrator, db):
    from dyncrm_expand.loans.models import MODELS

    db.create_tables(MODELS)


def down(migrator, db):
    from dyncrm_expand.loans.models import MODELS

    db.drop_tables(list(reversed(MODELS)))
