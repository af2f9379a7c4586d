"""Transfer proofs (bukti transfer): parsed, stored re-encoded under a generated name.

A proof is accepted only when it *parses* as a JPEG, PNG or PDF (its first
bytes choose the parser, whatever its file name claims) and it is no larger
than the configured maximum; see :mod:`dyncrm.uploads` for the checks (pixel
limits, truncation, re-encoding of images, PDFs without scripts, launch
actions or embedded files).  What is stored is what was checked: images
re-encoded, PDFs as parsed.  It is written to ``<data_dir>/proofs/<uuid>.<ext>``
(folder 0700, file 0600), outside any web root; the uploaded file name is
kept as text and never used as a path.  A proof is only ever served with
:func:`download_headers` (as an attachment, with ``nosniff``).

Two SHA-256 hashes are kept of every proof: of the file as uploaded and as
stored.  A new proof whose hashes meet those of a proof already used for
another deposit is the *same file*: the deposit records it and the cashier has
to confirm before verifying it (see :mod:`dyncrm_expand.savings.deposits`).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from pathlib import Path

import attrs

from dyncrm import uploads
from dyncrm.errors import ValidationError


@attrs.frozen
class StoredProof:
    """A proof file written to the proofs folder."""

    file: str  # generated name inside the proofs folder
    original_name: str
    sha256: str  # of the stored bytes
    type: str  # stored type: jpeg, png or pdf
    size: int
    upload_sha256: str = ""  # of the bytes as uploaded

    @property
    def hashes(self) -> tuple[str, ...]:
        """The proof's content hashes (as uploaded, as stored): what
        :func:`~dyncrm_expand.savings.deposits.same_proof`
        compares with the proofs of other deposits."""
        return tuple(dict.fromkeys(h for h in (self.upload_sha256, self.sha256) if h))

    @property
    def content_type(self) -> str:
        """The stored file's MIME type."""
        return content_type(self.type)


def content_type(kind: str | None) -> str:
    """The MIME type of a stored proof type (``"png"`` -> ``"image/png"``)."""
    found = uploads.TYPES.get(kind or "")
    return found[0] if found else "application/octet-stream"


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


def check_proof(data: bytes, allowed: tuple[str, ...],
                max_bytes: int | None = None) -> uploads.CheckedFile:
    """Parse ``data`` as a proof; what may be stored, else a ``ValidationError``."""
    return uploads.check_upload(data, allowed=allowed, field="proof",
                                max_bytes=len(data) if max_bytes is None else max_bytes)


def store_proof(data: bytes, original_name: str, *, data_dir: Path,
                allowed: tuple[str, ...], max_bytes: int | None = None) -> StoredProof:
    """Check ``data`` and write what passed under a new random name; returns what was stored.

    Nothing is written when the check fails.  The caller removes the file with
    :func:`discard_proof` when its action does not commit.
    """
    checked = check_proof(data, allowed, max_bytes)
    name = f"{uuid.uuid4().hex}{checked.extension}"
    uploads.write_private(proofs_dir(data_dir), name, checked.data)
    clean_name = os.path.basename(original_name.replace("\\", "/"))[:200] or "upload"
    return StoredProof(file=name, original_name=clean_name,
                       sha256=hashlib.sha256(checked.data).hexdigest(), type=checked.kind,
                       size=len(checked.data), upload_sha256=hashlib.sha256(data).hexdigest())


def download_headers(original_name: str | None, kind: str | None) -> dict[str, str]:
    """The only HTTP headers under which a stored proof may be served.

    ``Content-Disposition: attachment`` with the sender's name made safe, the
    content type found by parsing, and ``X-Content-Type-Options: nosniff``.
    """
    return uploads.download_headers(original_name or "bukti", content_type(kind))


def discard_proof(stored: StoredProof, data_dir: Path) -> None:
    """Remove a proof written for an action that did not commit."""
    with contextlib.suppress(OSError):
        (proofs_dir(data_dir) / stored.file).unlink()
