"""``dyncrm restore``: a backup made into a working deployment again, whole or not at all.

Everything is checked before anything changes:

1. the archive is a dyncrm backup in a format this code reads, and every file in
   it is listed in its manifest with the size and SHA-256 found (a damaged or
   altered archive is refused);
2. the target folder is new or empty, or holds this same deployment (same
   deployment id) and ``replace`` was asked for: a backup of another deployment
   is never put over one;
3. every migration the backup's database had applied is known to this code (a
   backup from a newer dyncrm is refused: its schema cannot be read here);
4. the target database (a server database, or a SQLite file outside the folder)
   is empty, or holds this same deployment and ``replace`` was asked for;
5. the SQLite copy passes ``PRAGMA integrity_check``.

Then the database is loaded (PostgreSQL in one transaction) and the files, staged
in a hidden folder beside the target, are put in place with one rename.  Any
refusal or failure before that leaves the target folder and database as they were.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import attrs

from dyncrm.backup.database import (
    DUMP_NAMES,
    backend_of,
    integrity_problems,
    load_server,
    load_sqlite,
    opened,
    sqlite_file,
)
from dyncrm.backup.manifest import MANIFEST_NAME, Manifest, parse_manifest
from dyncrm.errors import DyncrmError, EnvironmentFault
from dyncrm.files import ensure_folder, file_fault

if TYPE_CHECKING:
    from dyncrm.config import Config

SQLITE_SIDECARS = ("-wal", "-shm", "-journal")


class RestoreRefused(DyncrmError):
    """The backup cannot be restored here; nothing was changed.  Exit 1."""


@attrs.frozen
class RestoreResult:
    """A restored deployment: its config, what the backup was, what is left to do."""

    config: Path
    manifest: Manifest
    replaced: bool
    pending: tuple[str, ...] = ()  #: migrations of this code not yet applied to the backup


def _refuse(message: str) -> RestoreRefused:
    return RestoreRefused(f"{message}; nothing was restored")


def _damaged(archive: Path, why: str) -> RestoreRefused:
    return _refuse(f"{archive} is not a usable dyncrm backup: {why}")


def _open(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, mode="r:gz")
    except FileNotFoundError:
        raise _refuse(f"{archive} does not exist") from None
    except IsADirectoryError:
        raise _refuse(f"{archive} is a folder; name the backup file "
                      "(backup-....dyncrm.tar.gz)") from None
    except OSError as exc:
        fault = file_fault(exc, archive)
        if fault is not None and exc.errno is not None:
            raise fault from exc
        raise _damaged(archive, "it is not a gzip-compressed tar archive") from None
    except (tarfile.TarError, EOFError, zlib.error):
        raise _damaged(archive, "it is not a gzip-compressed tar archive") from None


def read_manifest(archive: str | Path) -> Manifest:
    """The manifest of the backup ``archive`` (its first member), checked."""
    archive = Path(archive)
    try:
        with _open(archive) as tar:
            first = tar.next()
            if first is None or first.name != MANIFEST_NAME or not first.isfile():
                raise _damaged(archive, f"it does not start with {MANIFEST_NAME}")
            data = tar.extractfile(first).read()  # type: ignore[union-attr]
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise _damaged(archive, f"it is cut short or damaged ({exc})") from None
    return parse_manifest(data, archive)


def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (not path.is_absolute() and ".." not in path.parts
            and path.parts[:1] in (("files",), ("database",), ("external",)))


def _extract(archive: Path, manifest: Manifest, stage: Path, work: Path) -> None:
    """Write every file of the archive, checked against the manifest, into place:
    ``files/...`` into ``stage``, the rest into ``work``."""
    listed = {f.path: f for f in manifest.files}
    seen: set[str] = set()
    try:
        with _open(archive) as tar:
            for index, member in enumerate(tar):
                if index == 0:
                    continue  # the manifest, read already
                entry = listed.get(member.name)
                if entry is None or member.name in seen or not _safe_name(member.name):
                    raise _damaged(archive, f"it holds {member.name!r}, which its manifest "
                                            "does not list")
                if not member.isfile():
                    raise _damaged(archive, f"{member.name!r} is not a plain file")
                seen.add(member.name)
                relative = PurePosixPath(member.name)
                target = (stage.joinpath(*relative.parts[1:]) if relative.parts[0] == "files"
                          else work.joinpath(*relative.parts))
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                digest, size = hashlib.sha256(), 0
                source = tar.extractfile(member)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as out:
                    while block := source.read(1 << 20):  # type: ignore[union-attr]
                        digest.update(block)
                        size += len(block)
                        out.write(block)
                if size != entry.size or digest.hexdigest() != entry.sha256:
                    raise _damaged(archive, f"{member.name} does not match its manifest "
                                            "(altered or damaged)")
                with contextlib.suppress(OSError):
                    os.utime(target, (member.mtime, member.mtime))
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        raise _damaged(archive, f"it is cut short or damaged ({exc})") from None
    missing = sorted(set(listed) - seen)
    if missing:
        raise _damaged(archive, f"it lacks {missing[0]}, which its manifest lists")


def _existing_id(url: str) -> tuple[bool, str | None]:
    """Whether the database at ``url`` holds tables, and the deployment id it names."""
    from dyncrm.identity import read_deployment_id

    with opened(url) as database:
        try:
            tables = database.get_tables()
        except Exception as exc:
            from dyncrm.faults import classify

            fault = classify(exc, database=database)
            if fault is not None:
                raise fault from exc
            raise
        if not tables:
            return False, None
        return True, read_deployment_id(database)


def _known_migrations(config: Config) -> tuple[set[str], set[str]]:
    """Names (``plugin:script``) of every migration this code ships for the backup's
    plugins, and the plugins whose migrations this code knows."""
    from playhouse.migrations import Migration

    from dyncrm.plugins import get_plugin_manager

    pm = get_plugin_manager(config.enabled)
    names: set[str] = set()
    plugins: set[str] = set()
    for result in pm.hook.dyncrm_migrations():
        if result:
            plugin, folder = result[0], Path(result[1])
            plugins.add(plugin)
            names.update(f"{plugin}:{m.name}" for m in Migration.load_directory(str(folder)))
    return names, plugins


def _check_schema(manifest: Manifest, config: Config) -> None:
    """Refuse a backup whose database has migrations this code does not know."""
    import importlib.metadata as md

    known, plugins = _known_migrations(config)
    newer = [n for n in manifest.migrations
             if n.partition(":")[0] in plugins and n not in known]
    if newer:
        shown = ", ".join(newer[:5]) + (", ..." if len(newer) > 5 else "")
        raise _refuse(
            f"the backup's database has migrations this dyncrm ({md.version('dyncrm')}) "
            f"does not know ({shown}): it was made by dyncrm {manifest.dyncrm_version} with a "
            "newer schema. Restore it with that version of dyncrm (and its plugins) or newer")


_DATABASE_URL = re.compile(r'^(\s*url\s*=\s*)(["\']).*?\2(.*)$')


def _set_database_url(config_file: Path, url: str) -> None:
    """Write ``url`` as the ``[database] url`` of the restored config (a literal string)."""
    lines = config_file.read_text(encoding="utf-8").splitlines(keepends=True)
    section = None
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            section = stripped.split("#", 1)[0].strip()
            continue
        match = _DATABASE_URL.match(line.rstrip("\r\n"))
        if section == "[database]" and match:
            newline = line[len(line.rstrip("\r\n")):]
            quoted = '"' + url.replace("\\", "\\\\").replace('"', '\\"') + '"'
            lines[i] = f"{match.group(1)}{quoted}{match.group(3)}{newline}"
            break
    else:
        raise _refuse(f"the backup's config {config_file.name} does not write its [database] "
                      "url as text (it may read it from the environment): set that instead "
                      "of --database-url")
    tmp = config_file.with_name(f".{config_file.name}.url.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        fh.write("".join(lines))
    os.replace(tmp, config_file)


def _is_empty_folder(path: Path) -> bool:
    return path.is_dir() and not any(path.iterdir())


def _existing_deployment(target: Path, config_name: str) -> Path | None:
    """The config file of the deployment in ``target``, if it holds one."""
    if not target.exists():
        return None
    if not target.is_dir():
        raise _refuse(f"{target} is a file; name a folder to restore into")
    config = target / config_name
    if config.is_file():
        return config
    if any(target.iterdir()):
        raise _refuse(f"{target} holds files but no deployment ({config_name}); restore "
                      "into a new or empty folder")
    return None


def _check_existing(existing: Path, manifest: Manifest, replace: bool) -> None:
    from dyncrm.config import load_config

    if not replace:
        raise _refuse(f"{existing.parent} holds a deployment; restoring over it replaces "
                      "its database and files with the backup's. Add --replace to do that, "
                      "or restore into a new folder")
    try:
        url = load_config(existing).database_url
    except DyncrmError as exc:
        raise _refuse(f"the deployment in {existing.parent} cannot be read ({exc}), so it "
                      "cannot be told apart from another deployment") from None
    _, found = _existing_id(url)
    if found != manifest.deployment_id:
        raise _refuse(
            f"{existing.parent} holds another deployment (id {found or 'unknown'}) than the "
            f"backup's ({manifest.deployment_id}, {manifest.organisation}, "
            f"{manifest.created_at}); a backup is only restored over the deployment it "
            "was taken from")


def _check_database(url: str, manifest: Manifest, replace: bool) -> bool:
    """Whether the target database already holds (this) deployment; refuses another."""
    has_tables, found = _existing_id(url)
    if not has_tables:
        return False
    where = _describe(url)
    if found != manifest.deployment_id:
        raise _refuse(f"the database {where} is not empty and holds another deployment "
                      f"(id {found or 'unknown'}) than the backup's "
                      f"({manifest.deployment_id}); restore into an empty database "
                      "(--database-url) instead")
    if not replace:
        raise _refuse(f"the database {where} already holds this deployment; add --replace to "
                      "put the backup over it, or restore into an empty database "
                      "(--database-url)")
    return True


def _describe(url: str) -> str:
    from urllib.parse import urlsplit

    if url.startswith("sqlite"):
        return str(sqlite_file(url))
    split = urlsplit(url)
    return f"{split.hostname or 'localhost'}{':' + str(split.port) if split.port else ''}" \
           f"{split.path}"


def restore_backup(archive: str | Path, into: str | Path, *, replace: bool = False,
                   database_url: str | None = None) -> RestoreResult:
    """Restore the backup ``archive`` as the deployment in folder ``into``.

    ``into`` is a new or empty folder, or (with ``replace``) the folder of the
    deployment the backup was taken from.  ``database_url`` puts a server
    database's backup into another (empty) database and writes that URL into the
    restored config.  See the module's text for every check made first.
    """
    from dyncrm.config import load_config

    archive = Path(archive)
    manifest = read_manifest(archive)
    target = Path(into).absolute()
    config_name = PurePosixPath(manifest.config).relative_to("files").as_posix()
    existing = _existing_deployment(target, config_name)
    if existing is not None:
        if not manifest.deployment_id and replace:
            raise _refuse("the backup names no deployment (it was taken before 'dyncrm db "
                          "upgrade' gave the deployment its id), so it cannot be told apart "
                          "from another one: restore it into a new folder")
        _check_existing(existing, manifest, replace)
    if database_url and manifest.backend == "sqlite":
        raise _refuse("--database-url is for server databases; a SQLite backup is "
                      "restored into the folder's own database file")
    parent = ensure_folder(target.parent)
    try:
        stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.restoring-", dir=parent))
        work = Path(tempfile.mkdtemp(prefix=f".{target.name}.restoring-db-", dir=parent))
    except OSError as exc:
        raise file_fault(exc, target) or exc from None
    aside: Path | None = None
    moved = False
    try:
        try:
            _extract(archive, manifest, stage, work)
        except OSError as exc:
            raise file_fault(exc, stage) or exc from None
        staged_config = stage / config_name
        if database_url:
            _set_database_url(staged_config, database_url)
        config = load_config(staged_config)
        url = config.database_url
        if backend_of(url) != manifest.backend:
            raise _refuse(f"the backup holds a {manifest.backend} database but the restored "
                          f"config's [database] url is {backend_of(url)}")
        _check_schema(manifest, config)
        dump = work / DUMP_NAMES[manifest.backend]
        external = work / "external" / "data"
        data_dir = Path(config.data_dir)
        final_data = (target / data_dir.relative_to(stage)
                      if data_dir.is_relative_to(stage) else data_dir)
        if external.is_dir() and final_data.exists() and not _is_empty_folder(final_data) \
                and not (replace and existing is not None):
            raise _refuse(f"the backup's data folder goes to {final_data}, which is not empty")
        if manifest.backend == "sqlite":
            problems = integrity_problems(dump)
            if problems:
                raise _damaged(archive, "its database fails its integrity check ("
                               f"{'; '.join(problems[:3])})")
            db_file = sqlite_file(url)
            if db_file.is_relative_to(stage):
                load_sqlite(dump, db_file)  # moves into place with the folder
            else:  # a database file outside the deployment's folder
                over = db_file.exists() and _check_database(url, manifest, replace)
                if db_file.exists() and not over:
                    raise _refuse(f"{db_file} exists; restore needs it absent or empty")
                for suffix in SQLITE_SIDECARS:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(f"{db_file}{suffix}")
                load_sqlite(dump, db_file)
        else:
            over = _check_database(url, manifest, replace)
            load_server(url, dump, replace=over)
        # the files: one rename puts the staged folder in place
        if external.is_dir():
            if final_data.exists():
                shutil.rmtree(final_data)
            final_data.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            shutil.move(str(external), str(final_data))
        if existing is not None:
            aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.replaced-", dir=parent))
            os.rename(target, aside / "old")
        elif target.exists():
            target.rmdir()
        try:
            os.rename(stage, target)
        except OSError:
            if aside is not None:
                os.rename(aside / "old", target)
                aside = None
            raise
        moved = True
    except OSError as exc:
        fault = file_fault(exc, target)
        if fault is None:
            raise
        raise fault from exc
    finally:
        for folder in (work, aside, None if moved else stage):
            if folder is not None:
                with contextlib.suppress(OSError):
                    shutil.rmtree(folder)
    return RestoreResult(target / config_name, manifest, existing is not None,
                         _pending(target / config_name, manifest))


def _pending(config: Path, manifest: Manifest) -> tuple[str, ...]:
    """Migrations this code has that the restored database lacks; checks its identity."""
    from dyncrm.app import open_crm
    from dyncrm.identity import read_deployment_id

    with open_crm(config) as crm:
        found = read_deployment_id(crm.database)
        if found is not None and found != manifest.deployment_id:  # pragma: no cover
            raise EnvironmentFault(f"the restored database of {config} names deployment "
                                   f"{found}, not the backup's {manifest.deployment_id}",
                                   path=str(config))
        return tuple(crm.pending_migrations())


__all__ = ["RestoreRefused", "RestoreResult", "read_manifest", "restore_backup"]
