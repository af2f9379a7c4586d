"""Receipts (kwitansi): one numbered receipt per journal entry that moved money."""


def up(migrator, db):
    from dyncrm.db.receipts import Receipt

    db.create_tables([Receipt], safe=True)


def down(migrator, db):
    from dyncrm.db.receipts import Receipt

    db.drop_tables([Receipt])
