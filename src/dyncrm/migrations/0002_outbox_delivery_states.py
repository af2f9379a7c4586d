"""Outbox: a stable uid per message, the claim of the process delivering it, who resent it.

``uid`` is the message's identity on every attempt (the HTTP gateway's
``Idempotency-Key``, the SMTP ``Message-ID``); ``claim``/``claimed_at`` record the
process that set ``status = 'sending'`` before handing the message to its channel;
``resent_by``/``resent_at`` the person who resent a message whose delivery was unknown.

0001 creates the tables from the current models, so a database created after this
change has these columns already: only what is missing is added, and existing
messages get a uid of their own.  ``uid`` becomes NOT NULL on PostgreSQL and MariaDB;
SQLite would have to rebuild the table (which the delivery attempts reference), so
there the column stays nullable and the application always fills it.
"""

import uuid

from peewee import CharField, DateTimeField, SqliteDatabase, Table

TABLE = "outbox_message"
UID_INDEX = "outbox_message_uid"


def up(migrator, db):
    have = {c.name: c for c in db.get_columns(TABLE)}
    new = [("uid", CharField(max_length=36, null=True)),
           ("claim", CharField(null=True)),
           ("claimed_at", DateTimeField(null=True)),
           ("resent_by", CharField(null=True)),
           ("resent_at", DateTimeField(null=True))]
    ops = [migrator.add_column(TABLE, name, field) for name, field in new if name not in have]
    if ops:
        migrator.migrate(*ops)
    table = Table(TABLE, ("id", "uid")).bind(db)
    missing = [row_id for (row_id,) in table.select(table.id).where(table.uid.is_null()).tuples()]
    for row_id in missing:
        table.update(uid=str(uuid.uuid4())).where(table.id == row_id).execute()
    if not any(index.name == UID_INDEX for index in db.get_indexes(TABLE)):
        migrator.migrate(migrator.add_index(TABLE, ("uid",), unique=True))
    uid = {c.name: c for c in db.get_columns(TABLE)}["uid"]
    if uid.null and not isinstance(db, SqliteDatabase):
        migrator.migrate(migrator.add_not_null(TABLE, "uid"))


def down(migrator, db):
    migrator.migrate(migrator.drop_index(TABLE, UID_INDEX),
                     *(migrator.drop_column(TABLE, name)
                       for name in ("uid", "claim", "claimed_at", "resent_by", "resent_at")))
