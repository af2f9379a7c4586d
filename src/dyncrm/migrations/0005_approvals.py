"""Approvals: one row per person approving a decision that may need a quorum."""


def up(migrator, db):
    from dyncrm.db.models import Approval

    db.create_tables([Approval])


def down(migrator, db):
    from dyncrm.db.models import Approval

    db.drop_tables([Approval])
