"""Closed periods: months and years of the books closed with four eyes (``closed_period``)."""


def up(migrator, db):
    from dyncrm.db.periods import ClosedPeriod

    db.create_tables([ClosedPeriod], safe=True)


def down(migrator, db):
    from dyncrm.db.periods import ClosedPeriod

    db.drop_tables([ClosedPeriod])
