"""The archive: documents kept exactly as they were sent (``archived_document``).

On MySQL/MariaDB the bytes get a LONGBLOB: a plain BLOB holds only 64 KiB, less
than a month's payroll deduction list as PDF.
"""


def up(migrator, db):
    from dyncrm.db.archive import ArchivedDocument

    db.create_tables([ArchivedDocument], safe=True)
    from peewee import MySQLDatabase

    if isinstance(getattr(db, "obj", db), MySQLDatabase):
        db.execute_sql("ALTER TABLE archived_document MODIFY content LONGBLOB NOT NULL")


def down(migrator, db):
    from dyncrm.db.archive import ArchivedDocument

    db.drop_tables([ArchivedDocument])
