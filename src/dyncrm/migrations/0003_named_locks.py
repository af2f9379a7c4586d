"""Named locks: the rows ``crm.lock`` takes with SELECT ... FOR UPDATE on server databases."""


def up(migrator, db):
    from dyncrm.db.models import NamedLock

    db.create_tables([NamedLock])


def down(migrator, db):
    from dyncrm.db.models import NamedLock

    db.drop_tables([NamedLock])
