"""``dyncrm backup``: the database and the deployment's files in one private archive."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import importlib.metadata as md
import io
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from dyncrm.backup.contents import BACKUP_SUFFIX, backup_folder, deployment_files
from dyncrm.backup.database import (
    DUMP_NAMES,
    backend_of,
    dump_server,
    dump_sqlite,
    sqlite_file,
)
from dyncrm.backup.manifest import MANIFEST_NAME, FileEntry, Manifest, sha256_file
from dyncrm.errors import DyncrmError, EnvironmentFault
from dyncrm.files import atomic_open, ensure_folder, file_fault

if TYPE_CHECKING:
    from dyncrm.app import CRM


@attrs.frozen
class BackupResult:
    """A backup written: where, what it holds, and the links it left out."""

    path: Path
    manifest: Manifest
    size: int
    skipped_links: tuple[Path, ...] = ()


def default_name(at: dt.datetime) -> str:
    """``backup-2026-12-01T143000Z.dyncrm.tar.gz`` for a UTC time."""
    return f"backup-{at:%Y-%m-%dT%H%M%S}Z{BACKUP_SUFFIX}"


def applied_migrations(crm: CRM) -> tuple[str, ...]:
    """Names of the migrations applied to the database, in the order applied."""
    from dyncrm.db.migrate import HISTORY_TABLE

    if not crm.database.table_exists(HISTORY_TABLE):
        return ()
    cursor = crm.database.execute_sql(f"SELECT name FROM {HISTORY_TABLE} ORDER BY id")
    return tuple(row[0] for row in cursor.fetchall())


def _hash(path: Path) -> FileEntry:
    return FileEntry(path="", size=path.stat().st_size, sha256=sha256_file(path))


def _tarinfo(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = size, 0o600, int(mtime)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


class _Hashing(io.RawIOBase):
    """Reads a file for the archive and hashes what was read on the way."""

    def __init__(self, fh) -> None:
        self.fh, self.digest = fh, hashlib.sha256()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _add_file(tar: tarfile.TarFile, source: Path, entry: FileEntry) -> None:
    """Add ``source`` as ``entry.path`` (streamed), refusing it if it changed since it
    was hashed."""
    with source.open("rb") as fh:
        reader = _Hashing(fh)
        try:
            tar.addfile(_tarinfo(entry.path, entry.size, source.stat().st_mtime), reader)
        except OSError as exc:
            if exc.errno is not None:
                raise
            changed = True  # tarfile: "unexpected end of data", the file shrank
        else:
            changed = reader.digest.hexdigest() != entry.sha256 or fh.read(1) != b""
    if changed:
        raise DyncrmError(f"{source} changed while the backup was being written; nothing "
                          "was kept, run the backup again")


def _config_name(crm: CRM) -> str:
    """The config file's name inside the archive (``files/dyncrm.toml``)."""
    if not crm.config.path:
        raise DyncrmError("a deployment without a config file cannot be backed up; "
                          "back up the database with its own tools")
    base = Path(crm.config.base_dir).resolve()
    return f"files/{Path(crm.config.path).resolve().relative_to(base).as_posix()}"


def make_backup(crm: CRM, out: str | Path | None = None) -> BackupResult:
    """Write a backup of ``crm``'s deployment; returns where and what.

    ``out`` is the archive to write (``*.tar.gz``) or a folder to write a new
    ``backup-<UTC time>.dyncrm.tar.gz`` into; by default ``[backup] folder``.
    The archive (tar.gz, mode 0600, in a 0700 folder when dyncrm makes it)
    appears whole or not at all; an existing file is never overwritten.
    """
    from dyncrm.identity import DeploymentIdentity, deployment_id

    created = dt.datetime.now(dt.UTC).replace(microsecond=0)
    target = Path(out) if out is not None else backup_folder(crm)
    if out is None or target.is_dir() or not target.name.endswith(".tar.gz"):
        ensure_folder(target)
        target = target / default_name(created)
    if target.exists():
        raise DyncrmError(f"{target} exists; a backup never overwrites a file, choose "
                          "another --out")
    ensure_folder(target.parent)
    url = crm.config.database_url
    backend = backend_of(url)
    try:
        staging = Path(tempfile.mkdtemp(prefix=".dyncrm-backup-", dir=target.parent))
    except OSError as exc:
        raise file_fault(exc, target) or exc from None
    try:
        dump = staging / "database"
        if backend == "sqlite":
            dump_sqlite(sqlite_file(url), dump)
        else:
            dump_server(url, dump)
        selection = deployment_files(crm, extra_leave_out=(target, staging))
        entries = [attrs.evolve(_hash(dump), path=DUMP_NAMES[backend])]
        for source, name in selection.files:
            try:
                entries.append(attrs.evolve(_hash(source), path=name))
            except OSError as exc:
                raise file_fault(exc, source) or exc from None
        config_name = _config_name(crm)
        manifest = Manifest(
            deployment_id=(deployment_id(crm) if crm.database.table_exists(
                DeploymentIdentity._meta.table_name) else ""),  # before 'db upgrade' made one
            organisation=crm.config.organisation.name,
            created_at=created.isoformat().replace("+00:00", "Z"),
            dyncrm_version=md.version("dyncrm"), backend=backend,
            database=DUMP_NAMES[backend], config=config_name,
            migrations=applied_migrations(crm), plugins=tuple(crm.config.enabled),
            files=tuple(entries))
        sources = {name: path for path, name in selection.files}
        sources[DUMP_NAMES[backend]] = dump
        with atomic_open(target, "wb", durable=True) as fh, \
                tarfile.open(fileobj=fh, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
            data = manifest.to_json()
            tar.addfile(_tarinfo(MANIFEST_NAME, len(data), created.timestamp()),
                        io.BytesIO(data))
            for entry in manifest.files:
                try:
                    _add_file(tar, sources[entry.path], entry)
                except OSError as exc:
                    raise file_fault(exc, sources[entry.path]) or exc from None
    except OSError as exc:
        fault = file_fault(exc, target)
        if fault is None:
            raise
        raise fault from exc
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
    try:
        size = target.stat().st_size
    except OSError as exc:  # pragma: no cover - written a moment ago
        raise EnvironmentFault(f"cannot read {target}: {exc.strerror}",
                               path=str(target)) from exc
    return BackupResult(target, manifest, size, selection.skipped_links)


__all__ = ["BackupResult", "applied_migrations", "default_name", "make_backup"]
