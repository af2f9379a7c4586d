"""The archive: every document sent outside the organisation, kept exactly as sent.

A list handed to an employer's payroll office, the SHU slips given to members, a
report put before the members' annual meeting: once such a document has left, what
it said is a fact, whatever the records say later.  Recomputing it from today's
data gives a different document (the payroll list of a month whose deductions are
posted totals nearly nothing), so "sending" a document means archiving it:

- :func:`seal` stores the bytes of each file of the document (a *set*: every file
  archived under one ``(kind, key)``, e.g. ``("payroll.deduction_list", "2025-12")``
  holding the list's data, CSV and PDF), with their SHA-256, who archived them and
  when, in the database, in the caller's action — rolled back with it, committed
  with it;
- a set is **sealed**: archiving the same files again under the same kind and key
  changes nothing and says so (``replayed``); different files are refused
  (:class:`ArchiveSealed`), naming when and by whom the set was archived.  No code
  updates or deletes an archived row;
- :func:`content` reads a file back and checks its hash (:class:`ArchiveDamaged`
  when the bytes no longer match), and :func:`reprint` writes it out, byte for byte
  what was sent, readable only by its owner (documents name members).

``dyncrm archive list|show|reprint`` is the command line over it.

Example::

    from dyncrm import archive

    with crm.action("payroll.send", actor, key=f"payroll.send:{month}") as act:
        sent = archive.seal(crm, actor, "payroll.deduction_list", "2025-12", [
            archive.Document("potongan-2025-12.csv", csv_bytes, "text/csv"),
            archive.Document("potongan-2025-12.pdf", pdf_bytes, "application/pdf")])
    again = archive.find(crm, "payroll.deduction_list", "2025-12")
    archive.reprint(crm, again.file("potongan-2025-12.pdf"), "copy.pdf")
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm.errors import DyncrmError, NotFoundError, PluginError, ValidationError
from dyncrm.text import odd_character

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.db.archive import ArchivedDocument
    from dyncrm.values import Actor

#: The permission to list archived documents and reprint them.
VIEW = "archive.view"


class ArchiveSealed(DyncrmError):
    """Different files were offered for a set that is archived already: nothing changed."""


class ArchiveDamaged(DyncrmError):
    """An archived file's bytes no longer match the hash recorded when it was archived."""

    exit_code = 5  # the stored data, not the input, is wrong: the operator has to act


@attrs.frozen
class Document:
    """A file to archive: its name within the set, its bytes and its media type."""

    name: str
    data: bytes = attrs.field(repr=lambda d: f"<{len(d)} bytes>")
    media_type: str = "application/octet-stream"

    @property
    def sha256(self) -> str:
        """The SHA-256 of the bytes, hex."""
        return hashlib.sha256(self.data).hexdigest()


@attrs.frozen
class DocumentFile:
    """A file to archive that waits on disk until it is stored: what :class:`Document`
    is, read when :func:`seal` needs it, so a set of a hundred thousand files (a year's
    SHU slips) is archived one file in memory at a time."""

    name: str
    path: Path = attrs.field(converter=Path)
    media_type: str = "application/octet-stream"

    @property
    def data(self) -> bytes:
        """The file's bytes, read now."""
        return self.path.read_bytes()

    @property
    def sha256(self) -> str:
        """The SHA-256 of the file's bytes, hex (read in blocks)."""
        with self.path.open("rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()


@attrs.frozen
class ArchivedFile:
    """One archived file as recorded (without its bytes: :func:`content` reads them)."""

    id: int
    kind: str
    key: str
    name: str
    media_type: str
    sha256: str
    size: int
    created_at: dt.datetime
    created_by: str
    channel: str
    meta: dict[str, Any] = attrs.field(factory=dict, eq=False)


@attrs.frozen
class ArchivedSet:
    """Every file archived under one ``(kind, key)``; ``replayed`` when :func:`seal`
    found it archived already with the same files."""

    kind: str
    key: str
    files: tuple[ArchivedFile, ...]
    replayed: bool = False

    @property
    def created_at(self) -> dt.datetime:
        """When the set was archived."""
        return min(f.created_at for f in self.files)

    @property
    def created_by(self) -> str:
        """Who archived it."""
        return self.files[0].created_by

    @property
    def meta(self) -> dict[str, Any]:
        """What the archiving code recorded about the set (the first file's ``meta``)."""
        return dict(self.files[0].meta)

    @property
    def digest(self) -> str:
        """One SHA-256 over the set: of its files' names and hashes, sorted by name."""
        text = "".join(f"{f.name}\0{f.sha256}\n" for f in sorted(self.files,
                                                                key=lambda f: f.name))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def file(self, name: str) -> ArchivedFile:
        """The file called ``name`` in this set (:class:`NotFoundError` if none)."""
        for f in self.files:
            if f.name == name:
                return f
        raise NotFoundError(f"file of archived {self.kind} {self.key}", name)

    def has(self, name: str) -> bool:
        """True when the set holds a file called ``name``."""
        return any(f.name == name for f in self.files)


def _label(text: str, what: str, limit: int) -> str:
    value = (text or "").strip()
    if not value or len(value) > limit:
        raise PluginError(f"an archived document needs a {what} of 1 to {limit} characters, "
                          f"not {text!r}", hook="dyncrm.archive")
    if any(odd_character(ch) for ch in value) or ("/" in value and what == "file name"):
        raise PluginError(f"the {what} {text!r} of an archived document holds a character "
                          "it may not", hook="dyncrm.archive")
    return value


def _info(row: ArchivedDocument) -> ArchivedFile:
    return ArchivedFile(id=row.id, kind=row.kind, key=row.key, name=row.name,
                        media_type=row.media_type, sha256=row.sha256, size=row.size,
                        created_at=row.created_at, created_by=row.created_by,
                        channel=row.channel, meta=dict(row.meta or {}))


def _rows(kind: str, key: str) -> list[ArchivedDocument]:
    from dyncrm.db.archive import ArchivedDocument as A

    fields = [A.id, A.kind, A.key, A.name, A.media_type, A.sha256, A.size, A.created_at,
              A.created_by, A.channel, A.meta]
    return list(A.select(*fields).where(A.kind == kind, A.key == key).order_by(A.id))


def seal(crm: CRM, actor: Actor, kind: str, key: str,
         documents: Sequence[Document | DocumentFile], *,
         meta: dict[str, Any] | None = None) -> ArchivedSet:
    """Archive ``documents`` as the set ``(kind, key)``, sealed, in one action.

    Runs inside the caller's :meth:`~dyncrm.app.CRM.action` when there is one (the
    archive commits or rolls back with what the caller wrote), else in its own.
    The same files again (same names, same bytes) write nothing and come back with
    ``replayed=True``.  A :class:`DocumentFile` is read when it is stored, one at a time.

    :raises ArchiveSealed: the set exists with other files; nothing was written.
    """
    kind, key = _label(kind, "kind", 64), _label(key, "key", 120)
    if not documents:
        raise PluginError("archive.seal() needs at least one document", hook="dyncrm.archive")
    names = [_label(d.name, "file name", 200) for d in documents]
    if len(set(names)) != len(names):
        raise PluginError(f"archive.seal() was given two files called the same in {kind} "
                          f"{key}", hook="dyncrm.archive")
    offered = {name: d.sha256 for name, d in zip(names, documents, strict=True)}
    with crm.action("archive.seal", actor):
        crm.lock([f"archive:{kind}:{key}"])
        existing = _rows(kind, key)
        if existing:
            found = ArchivedSet(kind, key, tuple(_info(r) for r in existing))
            if {f.name: f.sha256 for f in found.files} == offered:
                return attrs.evolve(found, replayed=True)
            raise ArchiveSealed(crm.t(
                "{kind} {key} was archived on {date} by {user} as it was sent, and an "
                "archived document is never changed; nothing was archived now. Reprint what "
                "was sent with 'dyncrm archive reprint {id}'",
                kind=kind, key=key, date=crm.locale.date(_local_day(crm, found.created_at)),
                user=found.created_by, id=found.files[0].id))
        from dyncrm.db.archive import ArchivedDocument

        now = crm.now()
        for name, doc in zip(names, documents, strict=True):
            data = doc.data
            if hashlib.sha256(data).hexdigest() != offered[name]:  # a file changed on disk
                raise PluginError(f"the file {name} of {kind} {key} changed while it was "
                                  "being archived; nothing was archived", hook="dyncrm.archive")
            ArchivedDocument.insert(
                kind=kind, key=key, name=name, media_type=doc.media_type[:100],
                sha256=offered[name], size=len(data), content=data, created_at=now,
                created_by=actor.username, channel=actor.channel, meta=meta or {}).execute()
        return ArchivedSet(kind, key, tuple(_info(r) for r in _rows(kind, key)))


def _local_day(crm: CRM, at: dt.datetime) -> dt.date:
    return at.replace(tzinfo=dt.UTC).astimezone(crm.tz).date()


def archived_on(crm: CRM, what: ArchivedFile | ArchivedSet) -> dt.date:
    """The day (in the organisation's time zone) a file or set was archived."""
    return _local_day(crm, what.created_at)


def find(crm: CRM, kind: str, key: str) -> ArchivedSet | None:
    """The set archived as ``(kind, key)``, or None when nothing was archived under it."""
    rows = _rows(kind, key)
    return ArchivedSet(kind, key, tuple(_info(r) for r in rows)) if rows else None


def get(crm: CRM, file_id: int | str) -> ArchivedFile:
    """The archived file numbered ``file_id`` (:class:`NotFoundError` if none)."""
    from dyncrm.db.archive import ArchivedDocument as A

    try:
        number = int(str(file_id).strip().lstrip("#"))
    except ValueError:
        raise ValidationError(f"{file_id!r} is not the number of an archived document; "
                              "'dyncrm archive list' shows them", field="id") from None
    row = (A.select(A.id, A.kind, A.key, A.name, A.media_type, A.sha256, A.size,
                    A.created_at, A.created_by, A.channel, A.meta)
           .where(A.id == number).first())
    if row is None:
        raise NotFoundError("archived document", number)
    return _info(row)


def content(crm: CRM, file: ArchivedFile | int) -> bytes:
    """The bytes of an archived file, exactly as archived.

    :raises ArchiveDamaged: when they no longer hash to what was recorded.
    """
    from dyncrm.db.archive import ArchivedDocument as A

    info = file if isinstance(file, ArchivedFile) else get(crm, file)
    row = A.select(A.content, A.sha256).where(A.id == info.id).first()
    if row is None:
        raise NotFoundError("archived document", info.id)
    data = bytes(row.content)
    if hashlib.sha256(data).hexdigest() != row.sha256 or row.sha256 != info.sha256:
        raise ArchiveDamaged(crm.t(
            "archived document {id} ({name} of {kind} {key}) no longer matches the hash "
            "recorded when it was archived; it has been altered in the database. Restore it "
            "from a backup", id=info.id, name=info.name, kind=info.kind, key=info.key))
    return data


def list_files(crm: CRM, *, kind: str | None = None, key: str | None = None,
               limit: int | None = None) -> list[ArchivedFile]:
    """Archived files, newest first, of one kind and key when given."""
    from dyncrm.db.archive import ArchivedDocument as A

    query = A.select(A.id, A.kind, A.key, A.name, A.media_type, A.sha256, A.size,
                     A.created_at, A.created_by, A.channel, A.meta)
    if kind is not None:
        query = query.where(A.kind == kind)
    if key is not None:
        query = query.where(A.key == key)
    query = query.order_by(A.id.desc())
    if limit is not None:
        query = query.limit(limit)
    return [_info(row) for row in query]


def kinds(crm: CRM) -> list[str]:
    """Every kind something was archived as."""
    from dyncrm.db.archive import ArchivedDocument as A

    return [k for (k,) in A.select(A.kind).distinct().order_by(A.kind).tuples()]


def reprint(crm: CRM, file: ArchivedFile | int, path: str | Path) -> Path:
    """Write an archived file to ``path``, byte for byte as archived, mode 0600."""
    from dyncrm.files import write_atomic

    return write_atomic(path, content(crm, file))


def verify(crm: CRM, files: Iterable[ArchivedFile]) -> list[ArchivedFile]:
    """The files among ``files`` whose bytes no longer match their hash."""
    damaged = []
    for f in files:
        try:
            content(crm, f)
        except ArchiveDamaged:
            damaged.append(f)
    return damaged


__all__ = ["VIEW", "ArchiveDamaged", "ArchiveSealed", "ArchivedFile", "ArchivedSet",
           "Document", "DocumentFile", "archived_on", "content", "find", "get", "kinds",
           "list_files", "reprint", "seal", "verify"]
