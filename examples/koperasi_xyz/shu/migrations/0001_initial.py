"""koperasi_xyz.shu: the SHU year and its approvals."""


def up(migrator, db):
    from koperasi_xyz.models import SHU_MODELS

    db.create_tables(SHU_MODELS)


def down(migrator, db):
    from koperasi_xyz.models import SHU_MODELS

    db.drop_tables(list(reversed(SHU_MODELS)))
