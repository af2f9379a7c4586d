"""Attachments to feedback tickets: type checked by content, stored outside any web root.

The type is decided by the file's first bytes (its "magic number"), never by
its name or by what the sender claims, and the size is limited.  The file is
stored under a random name in the deployment's data directory, so nothing the
member chose (name, extension) reaches the file system.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from pathlib import Path

import attrs

from dyncrm.errors import ValidationError

#: type name -> (content type, file extension); see :func:`sniff` for the magic bytes
SIGNATURES: dict[str, tuple[str, str]] = {
    "pdf": ("application/pdf", ".pdf"),
    "png": ("image/png", ".png"),
    "jpeg": ("image/jpeg", ".jpg"),
    "gif": ("image/gif", ".gif"),
    "webp": ("image/webp", ".webp"),
}


def sniff(data: bytes) -> str | None:
    """The type name of ``data`` judged by its leading bytes, or ``None``."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


@attrs.frozen
class StoredAttachment:
    """An accepted attachment: where it is stored and what it is."""

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


def check(data: bytes, *, allowed: tuple[str, ...], max_bytes: int) -> str:
    """Return the type name of ``data`` or raise ``ValidationError`` (size, type)."""
    if not data:
        raise ValidationError("the file is empty", field="attachment")
    if len(data) > max_bytes:
        raise ValidationError(f"the file has {len(data):,} bytes; at most {max_bytes:,} "
                              "are accepted", field="attachment")
    kind = sniff(data)
    if kind is None or kind not in allowed:
        raise ValidationError("the file's content is not one of the accepted types "
                              f"({', '.join(allowed)})", field="attachment")
    return kind


def store(data: bytes, original_name: str, directory: Path, *, allowed: tuple[str, ...],
          max_bytes: int) -> StoredAttachment:
    """Check ``data`` and write it under a random name in ``directory`` (mode 0600).

    The write goes through a temporary file and a rename, so a crash never
    leaves a half-written attachment under its final name.
    """
    kind = check(data, allowed=allowed, max_bytes=max_bytes)
    content_type, ext = SIGNATURES[kind]
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    stored = secrets.token_hex(16) + ext
    tmp = directory / (stored + ".part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    tmp.replace(directory / stored)
    return StoredAttachment(stored_name=stored, original_name=safe_display_name(original_name),
                            content_type=content_type, size=len(data),
                            sha256=hashlib.sha256(data).hexdigest())


def remove(directory: Path, stored_name: str) -> None:
    """Delete a stored attachment (used when the ticket's transaction fails)."""
    with contextlib.suppress(FileNotFoundError):
        (directory / stored_name).unlink()
