"""expand.rewards: redemptions and catalogue restocking."""


def up(migrator, db):
    from dyncrm_expand.rewards.models import MODELS

    db.create_tables(MODELS)


def down(migrator, db):
    from dyncrm_expand.rewards.models import MODELS

    db.drop_tables(list(reversed(MODELS)))
