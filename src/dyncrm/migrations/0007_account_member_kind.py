"""Ledger: accounts indexed by (member, kind), so one member's balances read only their rows.

``balances_by_member`` for one member (``account.member_id = ? AND account.kind IN
(...)``) otherwise leaves the choice between the ``member_id`` and the ``kind``
index to the planner; SQLite without statistics takes ``kind`` and reads every
member's savings accounts.  With both columns in one index the member's accounts
of those kinds are found directly, whatever the number of members and whether or
not the database has statistics.
"""

TABLE = "account"
INDEX = "account_member_id_kind"


def up(migrator, db):
    if not any(index.name == INDEX for index in db.get_indexes(TABLE)):
        migrator.migrate(migrator.add_index(TABLE, ("member_id", "kind"), unique=False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index(TABLE, INDEX))
