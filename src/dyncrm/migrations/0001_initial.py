"""Core tables: members, users, touchpoints, ledger, outbox, action keys, counters."""


def up(migrator, db):
    from dyncrm.db.models import CORE_MODELS

    db.create_tables(CORE_MODELS)


def down(migrator, db):
    from dyncrm.db.models import CORE_MODELS

    db.drop_tables(list(reversed(CORE_MODELS)))
