"""Transfer proofs (bukti transfer): checked by content, stored under a generated name.

A proof is accepted only when its first bytes say it is a JPEG, PNG or PDF
(whatever its file name claims) and it is no larger than the configured
maximum.  It is written to ``<data_dir>/proofs/<uuid>.<ext>``, outside any web
root, readable by the owner only; the uploaded file name is kept as text and
never used as a path.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from pathlib import Path

import attrs

from dyncrm.errors import ValidationError

MAGIC: tuple[tuple[str, bytes, str], ...] = (
    ("jpeg", b"\xff\xd8\xff", ".jpg"),
    ("png", b"\x89PNG\r\n\x1a\n", ".png"),
    ("pdf", b"%PDF-", ".pdf"),
)


@attrs.frozen
class StoredProof:
    """A proof file written to the proofs folder."""

    file: str  # generated name inside the proofs folder
    original_name: str
    sha256: str
    type: str
    size: int


def sniff(data: bytes) -> tuple[str, str] | None:
    """``(type, extension)`` recognised from the first bytes, or ``None``."""
    for kind, magic, ext in MAGIC:
        if data.startswith(magic):
            return kind, ext
    return None


def proofs_dir(data_dir: Path) -> Path:
    """Where proofs are kept."""
    return Path(data_dir) / "proofs"


def read_proof(proof: bytes | str | os.PathLike, max_bytes: int) -> tuple[bytes, str]:
    """The proof's bytes and its original name, refusing files that are too large."""
    if isinstance(proof, bytes | bytearray):
        data, name = bytes(proof), "upload"
    else:
        path = Path(proof)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ValidationError(f"cannot read {path}: {exc.strerror}", field="proof") from None
        if not path.is_file():
            raise ValidationError(f"{path} is not a file", field="proof")
        if size > max_bytes:
            raise ValidationError(
                f"the file is {size:,} bytes; the largest proof accepted is {max_bytes:,}",
                field="proof")
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
        name = path.name
    if len(data) > max_bytes:
        raise ValidationError(
            f"the file is {len(data):,} bytes; the largest proof accepted is {max_bytes:,}",
            field="proof")
    if not data:
        raise ValidationError("the proof file is empty", field="proof")
    return data, name


def check_proof(data: bytes, allowed: tuple[str, ...]) -> tuple[str, str]:
    """``(type, extension)`` of an acceptable proof, else a ``ValidationError``."""
    found = sniff(data)
    if found is None or found[0] not in allowed:
        names = ", ".join(a.upper() for a in allowed)
        raise ValidationError(
            f"a transfer proof must be a photo or scan as {names}; this file is none of "
            "them (its content was checked, not its name)", field="proof")
    return found


def store_proof(data: bytes, original_name: str, *, data_dir: Path,
                allowed: tuple[str, ...]) -> StoredProof:
    """Check ``data`` and write it under a new random name; returns what was stored."""
    kind, ext = check_proof(data, allowed)
    folder = proofs_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    name = f"{uuid.uuid4().hex}{ext}"
    target = folder / name
    tmp = folder / f".{name}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    clean_name = os.path.basename(original_name.replace("\\", "/"))[:200] or "upload"
    return StoredProof(file=name, original_name=clean_name,
                       sha256=hashlib.sha256(data).hexdigest(), type=kind, size=len(data))


def discard_proof(stored: StoredProof, data_dir: Path) -> None:
    """Remove a proof written for an action that did not commit."""
    with contextlib.suppress(OSError):
        (proofs_dir(data_dir) / stored.file).unlink()
