"""Attachments to feedback tickets: parsed, stored re-encoded outside any web root.

The type is decided by the file's content, never by its name or by what the
sender claims, and the file must *parse* as that type (see
:mod:`dyncrm.uploads`): images are decoded within pixel limits and stored
re-encoded (JPEG as JPEG, PNG, GIF and WebP as PNG), PDFs are parsed and
refused when they carry scripts, launch actions or embedded files.  The size
is limited.  The file is stored under a random name in the deployment's data
directory (folder 0700, file 0600), so nothing the member chose (name,
extension) reaches the file system, and it is only ever served with
:func:`download_headers` (as an attachment, with ``nosniff``).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import secrets
from pathlib import Path

import attrs

from dyncrm import uploads

#: type name -> (content type of what is received, file extension)
SIGNATURES: dict[str, tuple[str, str]] = {
    kind: uploads.TYPES[kind] for kind in ("pdf", "png", "jpeg", "gif", "webp")
}


def sniff(data: bytes) -> str | None:
    """The type name ``data`` claims by its leading bytes, or ``None`` (not yet checked)."""
    return uploads.sniff(data)


@attrs.frozen
class StoredAttachment:
    """An accepted attachment: where it is stored and what it is (as stored)."""

    stored_name: str
    original_name: str
    content_type: str
    size: int
    sha256: str


def safe_display_name(name: str) -> str:
    """The sender's file name reduced to a harmless label (only shown, never used as a path)."""
    base = re.split(r"[\\/]", name)[-1]
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" .")
    return base[:100] or "attachment"


def check(data: bytes, *, allowed: tuple[str, ...], max_bytes: int) -> uploads.CheckedFile:
    """Parse ``data``; what may be stored, else ``ValidationError`` (size, type, content)."""
    return uploads.check_upload(data, allowed=allowed, field="attachment", max_bytes=max_bytes)


def store(checked: uploads.CheckedFile, original_name: str, directory: Path
          ) -> StoredAttachment:
    """Write a checked file under a random name in ``directory`` (mode 0600).

    The write goes through a temporary file and a rename, so a crash never
    leaves a half-written attachment under its final name.
    """
    stored = secrets.token_hex(16) + checked.extension
    uploads.write_private(directory, stored, checked.data)
    return StoredAttachment(stored_name=stored, original_name=safe_display_name(original_name),
                            content_type=checked.content_type, size=len(checked.data),
                            sha256=hashlib.sha256(checked.data).hexdigest())


def remove(directory: Path, stored_name: str) -> None:
    """Delete a stored attachment (used when the ticket's transaction fails)."""
    with contextlib.suppress(FileNotFoundError):
        (directory / stored_name).unlink()


def download_headers(display_name: str, content_type: str) -> dict[str, str]:
    """The only HTTP headers under which a stored attachment may be served."""
    return uploads.download_headers(display_name, content_type)
