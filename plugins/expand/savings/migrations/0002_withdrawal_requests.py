"""expand.savings: members' requests to withdraw simpanan sukarela."""


def up(migrator, db):
    from dyncrm_expand.savings.withdrawal_requests import MODELS

    db.create_tables(MODELS)


def down(migrator, db):
    from dyncrm_expand.savings.withdrawal_requests import MODELS

    db.drop_tables(list(reversed(MODELS)))
