"""``dyncrm backup`` and ``dyncrm restore``: the whole deployment in one private archive.

No sign-in: like ``run-due``, these are the operator's (cron's) commands; whoever
can run them can read the database file and the config already.  See
:mod:`dyncrm.backup` and docs/user-guide/backup.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from dyncrm import output
from dyncrm.cli import cli, examples, json_option, pass_crm

if TYPE_CHECKING:
    from dyncrm.app import CRM


def _size(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return str(n)  # pragma: no cover


@examples("dyncrm --as ketua backup --out cadangan/", run=False)
@cli.command("backup")
@click.option("--out", type=click.Path(), metavar="PATH",
              help="Folder to write the backup into, or the file name (*.tar.gz); "
                   "default: [backup] folder beside the config (backups/).")
@json_option
@pass_crm
def backup_cmd(crm: CRM, out: str | None, as_json: bool) -> None:
    """Back up the database and the deployment's files into one archive (0600).

    SQLite is copied with its online backup API (others may keep working) and the
    copy checked with PRAGMA integrity_check; PostgreSQL with pg_dump, MariaDB and
    MySQL with mariadb-dump/mysqldump.  The config, the secret keys, uploads, the
    archive and every other file beside the config go in too.
    """
    from dyncrm.backup.create import make_backup

    result = make_backup(crm, out)
    for link in result.skipped_links:
        click.echo(f"warning: {link} is a symbolic link; it was left out", err=True)
    m = result.manifest
    if as_json:
        output.emit({"path": str(result.path), "size": result.size,
                          "deployment_id": m.deployment_id, "backend": m.backend,
                          "migrations": len(m.migrations), "files": len(m.files) - 1,
                          "created_at": m.created_at, "dyncrm_version": m.dyncrm_version})
        return
    click.echo(f"wrote {result.path} ({_size(result.size)}): the {m.backend} database "
               f"({len(m.migrations)} migrations applied) and {len(m.files) - 1} files of "
               f"{m.organisation} (deployment {m.deployment_id or 'without an id'})")


@examples("dyncrm restore backup-2026-12-01T143000Z.dyncrm.tar.gz --into /srv/koperasi-pulih",
          run=False)
@cli.command("restore")
@click.argument("archive", metavar="BACKUP", type=click.Path(dir_okay=True))
@click.option("--into", "into", required=True, type=click.Path(file_okay=False),
              metavar="DIR", help="Folder of the restored deployment: new or empty, or the "
                                  "deployment the backup was taken from (with --replace).")
@click.option("--replace", is_flag=True,
              help="Put the backup over the deployment in DIR (only the one it was taken "
                   "from): its database and files become the backup's.")
@click.option("--database-url", metavar="URL",
              help="PostgreSQL/MariaDB: load into this (empty) database instead of the one "
                   "the backup's config names, and write it into the restored config.")
@json_option
def restore_cmd(archive: str, into: str, replace: bool, database_url: str | None,
                as_json: bool) -> None:
    """Restore BACKUP (from 'dyncrm backup') as a working deployment in DIR.

    Checks everything first: every file against the manifest, the deployment id
    (never over another deployment), the schema (never a backup from a newer
    dyncrm), an empty target database.  A refusal changes nothing.
    """
    from dyncrm.backup.restore import restore_backup

    result = restore_backup(archive, into, replace=replace, database_url=database_url)
    m = result.manifest
    if as_json:
        output.emit({"organisation": m.organisation, "deployment_id": m.deployment_id,
                     "backup_created_at": m.created_at, "replaced": result.replaced,
                     "config": str(result.config),
                     "pending_migrations": list(result.pending)},
                    message=f"restored {m.organisation} into {result.config.parent}",
                    replayed=False)
        return
    click.echo(f"restored {m.organisation} (deployment {m.deployment_id or 'without an id'}, "
               f"backup of {m.created_at}) {'over' if result.replaced else 'into'} "
               f"{result.config.parent}; its config is {result.config}")
    if result.pending:
        click.echo(f"the backup is older than this dyncrm: {len(result.pending)} migration(s) "
                   f"to apply with: dyncrm -c {result.config} db upgrade")
    click.echo(f"people sign in again there: dyncrm -c {result.config} login")
