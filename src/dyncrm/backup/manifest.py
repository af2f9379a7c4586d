"""The manifest inside a backup: what it holds, where from, and each file's SHA-256.

``manifest.json`` is the first member of the archive.  It names the deployment
(its id and organisation), the dyncrm version and the applied migrations that
made the database (the schema versions), the database backend and its dump,
and every file with its size and SHA-256.  ``dyncrm restore`` trusts nothing
in the archive that the manifest does not list with a matching hash.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import attrs

from dyncrm.errors import DyncrmError

#: The name of the manifest inside the archive.
MANIFEST_NAME = "manifest.json"
#: The layout version of the archive; a newer one is refused by older code.
FORMAT = 1
#: What the manifest says it is, so another tar.gz is recognised as not a backup.
KIND = "dyncrm-backup"


@attrs.frozen
class FileEntry:
    """One file in the archive: its name there, size and SHA-256."""

    path: str  # inside the archive: "database/...", "files/<relative path>"
    size: int
    sha256: str


@attrs.frozen
class Manifest:
    """What a backup holds (written as ``manifest.json``)."""

    deployment_id: str
    organisation: str
    created_at: str  # ISO 8601, UTC
    dyncrm_version: str
    backend: str  # sqlite | postgresql | mysql
    database: str  # path of the database dump inside the archive
    config: str  # path of the deployment's config inside the archive
    migrations: tuple[str, ...]  # applied ("plugin:script"), in the order applied
    plugins: tuple[str, ...]  # enabled in the config
    files: tuple[FileEntry, ...]
    format: int = FORMAT
    kind: str = KIND

    def to_json(self) -> bytes:
        """The manifest as UTF-8 JSON."""
        data = attrs.asdict(self)
        return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode()

    def entry(self, path: str) -> FileEntry | None:
        """The file entry named ``path`` inside the archive, if listed."""
        return next((f for f in self.files if f.path == path), None)

    def schema(self) -> dict[str, str]:
        """The newest applied migration per plugin (``{"core": "0009_..."}``)."""
        out: dict[str, str] = {}
        for name in self.migrations:
            plugin, _, script = name.partition(":")
            out[plugin] = max(out.get(plugin, ""), script)
        return out


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def parse_manifest(data: bytes, archive: Path) -> Manifest:
    """Read ``manifest.json``; a damaged or foreign one is a :class:`DyncrmError`."""
    try:
        raw: dict[str, Any] = json.loads(data.decode("utf-8"))
        if raw.get("kind") != KIND:
            raise ValueError("it is not a dyncrm backup manifest")
        if not isinstance(raw.get("format"), int) or raw["format"] > FORMAT:
            raise DyncrmError(
                f"{archive} was written in backup format {raw.get('format')}, newer than "
                f"this dyncrm reads ({FORMAT}); restore it with the dyncrm version that "
                f"made it ({raw.get('dyncrm_version')}) or newer")
        files = tuple(FileEntry(**f) for f in raw.pop("files"))
        raw["migrations"] = tuple(raw["migrations"])
        raw["plugins"] = tuple(raw["plugins"])
        return Manifest(files=files, **raw)
    except DyncrmError:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise DyncrmError(f"{archive} is not a usable dyncrm backup: its manifest is "
                          f"damaged ({exc}); nothing was restored") from None


__all__ = ["FORMAT", "MANIFEST_NAME", "FileEntry", "Manifest", "parse_manifest",
           "sha256_file"]
