"""koperasi_xyz.shu: members' purchases imported for jasa usaha by purchases (issue 13).

0001 creates the tables from the current models, so a database created after this
change has them already: only what is missing is created.
"""


def up(migrator, db):
    from koperasi_xyz.models import PURCHASE_MODELS

    db.create_tables(PURCHASE_MODELS, safe=True)


def down(migrator, db):
    from koperasi_xyz.models import PURCHASE_MODELS

    db.drop_tables(list(reversed(PURCHASE_MODELS)), safe=True)
