"""The visit log table."""


def up(migrator, db):
    from dyncrm_visits.models import Visit

    db.create_tables([Visit])


def down(migrator, db):
    from dyncrm_visits.models import Visit

    db.drop_tables([Visit])
