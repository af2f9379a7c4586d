"""koperasi_xyz.payroll: imported payroll confirmation batches and their lines."""


def up(migrator, db):
    from koperasi_xyz.models import PAYROLL_MODELS

    db.create_tables(PAYROLL_MODELS)


def down(migrator, db):
    from koperasi_xyz.models import PAYROLL_MODELS

    db.drop_tables(list(reversed(PAYROLL_MODELS)))
