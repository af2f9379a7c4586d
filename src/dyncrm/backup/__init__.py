"""Backups of a whole deployment: ``dyncrm backup`` and ``dyncrm restore``.

A backup is one private archive (``*.dyncrm.tar.gz``, mode 0600) holding
``manifest.json`` (deployment id, dyncrm version, applied migrations, every
file's SHA-256), the database (SQLite through its online backup API and checked
with ``PRAGMA integrity_check``; PostgreSQL through ``pg_dump``; MariaDB/MySQL
through ``mariadb-dump``/``mysqldump``) and the files beside the config: the
config itself, the secret keys, uploads, the archive, outbox and reports.

* :mod:`dyncrm.backup.create`: :func:`~dyncrm.backup.create.make_backup`;
* :mod:`dyncrm.backup.restore`: :func:`~dyncrm.backup.restore.restore_backup`,
  which checks everything before it changes anything and refuses a backup of
  another deployment or with migrations this code does not know;
* :mod:`dyncrm.backup.schedule`: the daily backup of ``dyncrm run-due``
  (``[backup] daily = true``), keeping the newest ``keep``.
"""
