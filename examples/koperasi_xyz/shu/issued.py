"""The members' SHU slips as issued: archived once, reprinted identical.

Once a year's SHU is posted, ``dyncrm shu issue-slips --year Y`` (or the button on
the portal's SHU page) issues every member's slip: the slips are rendered once and
archived (:mod:`dyncrm.archive`, kind ``shu.slips``, key the year) as one PDF per
member (``slip-shu-2025-XYZ-2024-00001.pdf``) and an index (``slip-shu-2025.json``:
which file is whose, with the share it shows).  From then on a member's slip is the
archived one, byte for byte — ``dyncrm shu slip``, the member's download in the
portal and ``dyncrm archive reprint`` all give the slip as it was issued, whatever
date it is printed on.  Issuing the year again archives nothing and says when and by
whom the slips were issued.

The archive is what was handed to the members: a year whose posting is taken back
(``shu unpost``) keeps its issued slips; the figures of an approved year never
change, so a year posted again issues nothing new.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm import archive
from dyncrm.errors import ValidationError

from .calc import MemberShare
from .service import Draft, locked, year_row

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import Actor

#: The archive kind of a year's slips.
KIND = "shu.slips"
#: The format of the index file (``slip-shu-YEAR.json``).
FORMAT = 1
#: The permission to issue a year's slips.
ISSUE = "shu.issue"
#: Where a year stands that cannot issue its slips yet, as the refusal says it.
NOT_POSTED = {"not entered": "not entered yet", "entered": "entered but not approved yet",
              "approved": "approved but not posted yet"}


def slip_name(year: int, line: MemberShare) -> str:
    """The file name of ``line``'s slip: ``slip-shu-2025-XYZ-2024-00001.pdf``."""
    ident = (line.number or "").lstrip("#").replace("/", "-") or str(line.member_id)
    return f"slip-shu-{year}-{ident}.pdf"


def index_name(year: int) -> str:
    """The name of the index file of ``year``'s issued slips."""
    return f"slip-shu-{year}.json"


@attrs.frozen
class IssuedSlips:
    """A year's slips as issued: the archive set and its index; ``replayed`` when they
    had been issued before the call that returned them."""

    year: int
    archived: archive.ArchivedSet
    index: dict[str, Any] = attrs.field(eq=False)

    @property
    def replayed(self) -> bool:
        """True when the slips had been issued (archived) before this call."""
        return self.archived.replayed

    @property
    def count(self) -> int:
        """How many slips were issued."""
        return len(self.index["slips"])

    def entry_of(self, member_id: int) -> dict[str, Any] | None:
        """The index entry (file, number, name, total, net) of ``member_id``'s slip."""
        return next((x for x in self.index["slips"] if x["member_id"] == member_id), None)

    def slip_of(self, member_id: int) -> archive.ArchivedFile | None:
        """The archived slip of ``member_id``, or None when they had no slip."""
        entry = self.entry_of(member_id)
        return self.archived.file(entry["file"]) if entry else None


def issued(crm: CRM, year: int) -> IssuedSlips | None:
    """``year``'s slips as issued (archived), or None when they never were."""
    found = archive.find(crm, KIND, str(year))
    if found is None:
        return None
    index = json.loads(archive.content(crm, found.file(index_name(year))))
    return IssuedSlips(year, found, index)


def _render(crm: CRM, draft: Draft, folder: Path,
            progress: Callable[[int, int], None] | None = None) -> list[Any]:
    """Every member's slip written into ``folder`` (one at a time: a hundred thousand
    slips are not held in memory), and the index: the documents to archive."""
    from .report import slip_pdf_file

    year = draft.distribution.year
    documents, entries = [], []
    members = draft.distribution.members
    for done, line in enumerate(members, start=1):
        name = slip_name(year, line)
        documents.append(archive.DocumentFile(
            name, slip_pdf_file(crm, draft, line, folder / name), "application/pdf"))
        entries.append({"member_id": line.member_id, "number": line.number,
                        "name": line.name, "file": name, "total": line.total,
                        "net": line.net})
        if progress is not None:
            progress(done, len(members))
    index = {"format": FORMAT, "year": year, "currency": draft.currency,
             "status": draft.status, "slips": entries}
    data = json.dumps(index, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")
    return [archive.Document(index_name(year), data, "application/json"), *documents]


def issue(crm: CRM, actor: Actor, year: int, *,
          progress: Callable[[int, int], None] | None = None) -> IssuedSlips:
    """Issue ``year``'s SHU slips to the members: render each slip and archive them, once.

    The year must be posted (the slips say what each member was paid).  A year whose
    slips were issued before returns them (``replayed``) and archives nothing.  The
    slips are rendered before the action, into a private temporary folder, and archived
    from there one file at a time; ``progress(done, total)`` is called after each slip.

    :raises ValidationError: the year's SHU is not posted.
    """
    crm.require(actor, ISSUE)
    earlier = issued(crm, year)
    if earlier is not None:
        return attrs.evolve(earlier, archived=attrs.evolve(earlier.archived, replayed=True))
    row = year_row(year)
    if row is None or row.status != "posted":
        status = NOT_POSTED[row.status if row is not None else "not entered"]
        raise ValidationError(crm.t(
            "the SHU slips of {year} are issued once its SHU is posted, and it is {status}; "
            "post it first with 'dyncrm shu post --year {year}'", year=year,
            status=crm.t(status)), field="year")
    with tempfile.TemporaryDirectory(prefix="dyncrm-slip-shu-") as folder:  # mode 0700
        documents = _render(crm, locked(crm, year), Path(folder), progress)
        index = json.loads(documents[0].data)
        with crm.action("shu.issue_slips", actor):
            done = archive.seal(crm, actor, KIND, str(year), documents,
                                meta={"slips": len(index["slips"]),
                                      "members_total": sum(x["total"] for x in index["slips"]),
                                      "issued_by": actor.username})
    return IssuedSlips(year, done, index)


def issued_on(crm: CRM, slips: IssuedSlips) -> dt.date:
    """The day (in the deployment's time zone) the slips were issued."""
    return archive.archived_on(crm, slips.archived)


def issued_slip(crm: CRM, year: int, member_id: int) -> tuple[str, bytes] | None:
    """``member_id``'s slip of ``year`` as issued: its file name and bytes (checked against
    their hash), or None when the year's slips were not issued or hold none of theirs."""
    slips = issued(crm, year)
    found = slips.slip_of(member_id) if slips is not None else None
    if found is None:
        return None
    return found.name, archive.content(crm, found)


__all__ = ["FORMAT", "ISSUE", "KIND", "IssuedSlips", "index_name", "issue", "issued",
           "issued_on", "issued_slip", "slip_name"]
