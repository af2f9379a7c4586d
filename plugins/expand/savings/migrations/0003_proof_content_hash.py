"""expand.savings: the hash of each transfer proof as uploaded, indexed, to find a proof used
for more than one deposit.

Adds ``savings_deposit.proof_upload_sha256`` with an index, and an index on
``proof_sha256`` (the hash of the file as stored).  0001 creates the table from
the current model, so on a database made after this change both are there
already: only what is missing is added.

Proofs stored before keep no copy of the upload (images were stored re-encoded),
so their ``proof_upload_sha256`` is filled with the hash of their stored file,
read from the deployment's proofs folder where the file is there and readable
(a PDF that parsed strictly was stored byte for byte: that is the upload's
hash; an image's stored bytes are what the same upload re-encodes to, which the
duplicate check compares too), else with the ``proof_sha256`` recorded when it
was stored.  A proof whose file cannot be read and has no recorded hash stays
empty.
"""

import hashlib
from pathlib import Path

from peewee import CharField

TABLE = "savings_deposit"
COLUMN = "proof_upload_sha256"
INDEXED = ("proof_upload_sha256", "proof_sha256")


def _file_hash(folder, name):
    if folder is None or not name or "/" in name or "\\" in name:
        return None
    digest = hashlib.sha256()
    try:
        with (Path(folder) / name).open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 16), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def up(migrator, db):
    from dyncrm.db.migrate import deployment_config

    if COLUMN not in {c.name for c in db.get_columns(TABLE)}:
        migrator.migrate(migrator.add_column(TABLE, COLUMN, CharField(null=True)))
    indexed = {tuple(i.columns) for i in db.get_indexes(TABLE)}
    ops = [migrator.add_index(TABLE, (column,), unique=False) for column in INDEXED
           if (column,) not in indexed]
    if ops:
        migrator.migrate(*ops)

    config = deployment_config()
    folder = Path(config.data_dir) / "proofs" if config is not None else None
    rows = db.execute_sql(f"SELECT id, proof_file, proof_sha256 FROM {TABLE} "
                          f"WHERE proof_file IS NOT NULL AND {COLUMN} IS NULL").fetchall()
    param = db.param
    for row_id, name, recorded in rows:
        value = _file_hash(folder, name) or recorded
        if value:
            db.execute_sql(f"UPDATE {TABLE} SET {COLUMN} = {param} WHERE id = {param}",
                           (value, row_id))


def down(migrator, db):
    names = {i.name: tuple(i.columns) for i in db.get_indexes(TABLE)}
    ops = [migrator.drop_index(TABLE, name) for name, columns in names.items()
           if columns in {(column,) for column in INDEXED}]
    if COLUMN in {c.name for c in db.get_columns(TABLE)}:
        ops.append(migrator.drop_column(TABLE, COLUMN))
    if ops:
        migrator.migrate(*ops)
