"""Ledger: the plugin that owns an entry (``journal_entry.owner``).

An entry a plugin posted (a deposit, a repayment, a settlement, an SHU share)
keeps the plugin's name, so ``dyncrm ledger reverse`` can refuse it and name
the plugin's own correction.  Entries posted before this column existed get
their owner from the plugins' own migrations (by entry kind) and, until then,
from the kinds the enabled plugins declare (``dyncrm_ledger_owners``).
"""

from peewee import CharField

TABLE = "journal_entry"
COLUMN = "owner"
INDEX = "journal_entry_owner"


def up(migrator, db):
    if not any(c.name == COLUMN for c in db.get_columns(TABLE)):
        migrator.migrate(migrator.add_column(TABLE, COLUMN,
                                             CharField(null=True, max_length=64)))
    if not any(index.name == INDEX for index in db.get_indexes(TABLE)):
        migrator.migrate(migrator.add_index(TABLE, (COLUMN,), unique=False))


def down(migrator, db):
    migrator.migrate(migrator.drop_index(TABLE, INDEX), migrator.drop_column(TABLE, COLUMN))
