"""The deduction list as sent to the payroll office: archived once, reprinted identical.

``dyncrm payroll send --month M`` computes the month's list and archives it
(:mod:`dyncrm.archive`, kind ``payroll.deduction_list``, key ``YYYY-MM``) as three
files: the list's data (``potongan-M.json``: every line with its wajib, arrears
and each loan's part, the figures the confirmation import posts), the CSV the
payroll office fills in and the printable PDF.  From then on the month's list is
that archive: ``send`` again writes the same files byte for byte, ``laporan
potongan`` shows it, and the confirmation import checks every line against it.
The list computed from today's records (``dyncrm payroll list``) is only a
preview; once the month's deductions are posted it says almost nothing is due.

A month whose list was never sent through dyncrm is archived by the first import
of its confirmation (the list as it stands then, which is what was sent when no
record changed in between), so every imported month has its list archived.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm import archive

from .listing import DeductionLine, DeductionList, LoanDue, deduction_list

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import Actor

#: The archive kind of a month's deduction list.
KIND = "payroll.deduction_list"
#: The format of the list's data file (``potongan-M.json``).
FORMAT = 1


def label_of(month: dt.date) -> str:
    """``YYYY-MM`` of ``month``."""
    return f"{month.year:04d}-{month.month:02d}"


def file_names(label: str) -> dict[str, str]:
    """The names of the files a month's archived list holds, by format."""
    return {"json": f"potongan-{label}.json", "csv": f"potongan-{label}.csv",
            "pdf": f"potongan-{label}.pdf"}


def snapshot(dlist: DeductionList) -> dict[str, Any]:
    """The list as plain data (JSON): everything the import posts, line by line."""
    return {"format": FORMAT, "month": dlist.label, "payday": dlist.payday.isoformat(),
            "cap_percent": str(dlist.cap_percent), "total": dlist.total,
            "lines": [{"member_id": x.member_id, "number": x.number, "name": x.name,
                       "employee_number": x.employee_number, "department": x.department,
                       "wajib": x.wajib, "wajib_arrears": x.wajib_arrears,
                       "loans": [{"loan_id": d.loan_id, "product": d.product,
                                  "due_now": d.due_now, "arrears": d.arrears}
                                 for d in x.loans],
                       "take_home_pay": x.take_home_pay, "cap": x.cap}
                      for x in dlist.lines]}


def from_snapshot(data: dict[str, Any]) -> DeductionList:
    """The :class:`~.listing.DeductionList` a :func:`snapshot` describes."""
    year, month = (int(p) for p in data["month"].split("-"))
    lines = tuple(DeductionLine(
        member_id=x["member_id"], number=x["number"], name=x["name"],
        employee_number=x["employee_number"], department=x["department"], wajib=x["wajib"],
        wajib_arrears=x["wajib_arrears"],
        loans=tuple(LoanDue(loan_id=d["loan_id"], product=d["product"], due_now=d["due_now"],
                            arrears=d["arrears"]) for d in x["loans"]),
        take_home_pay=x["take_home_pay"], cap=x["cap"]) for x in data["lines"])
    return DeductionList(month=dt.date(year, month, 1),
                         payday=dt.date.fromisoformat(data["payday"]),
                         cap_percent=Decimal(data["cap_percent"]), lines=lines)


@attrs.frozen
class SentList:
    """A month's list as archived: the list, its archive set, and whether it was
    archived just now (``replayed``: it had been sent before)."""

    dlist: DeductionList
    archived: archive.ArchivedSet

    @property
    def replayed(self) -> bool:
        """True when the list had been archived before this call."""
        return self.archived.replayed

    def file(self, fmt: str) -> archive.ArchivedFile:
        """The archived ``json``, ``csv`` or ``pdf`` file."""
        return self.archived.file(file_names(self.dlist.label)[fmt])


def _documents(crm: CRM, dlist: DeductionList) -> list[archive.Document]:
    from .export import write_csv, write_pdf
    from .listing import settings_of

    names = file_names(dlist.label)
    data = json.dumps(snapshot(dlist), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="dyncrm-potongan-") as folder:
        csv_bytes = write_csv(dlist, Path(folder) / names["csv"],
                              delimiter=settings_of(crm).csv_delimiter).read_bytes()
        pdf_bytes = write_pdf(crm, dlist, Path(folder) / names["pdf"]).read_bytes()
    return [archive.Document(names["json"], data, "application/json"),
            archive.Document(names["csv"], csv_bytes, "text/csv"),
            archive.Document(names["pdf"], pdf_bytes, "application/pdf")]


def sent(crm: CRM, month: dt.date) -> SentList | None:
    """``month``'s list as it was sent (archived), or None when it never was."""
    found = archive.find(crm, KIND, label_of(month))
    if found is None:
        return None
    data = archive.content(crm, found.file(file_names(label_of(month))["json"]))
    return SentList(from_snapshot(json.loads(data)), found)


def archive_list(crm: CRM, actor: Actor, month: dt.date, *,
                 meta: dict[str, Any] | None = None) -> SentList:
    """Archive ``month``'s list as it stands now, unless it was archived before.

    Must run inside an action (the caller's: the send, or the first import).
    Returns the list as archived; ``replayed`` when it had been sent already (then
    nothing is computed or written).
    """
    earlier = sent(crm, month)
    if earlier is not None:
        return SentList(earlier.dlist, attrs.evolve(earlier.archived, replayed=True))
    dlist = deduction_list(crm, month)
    found = archive.seal(crm, actor, KIND, dlist.label, _documents(crm, dlist),
                         meta={"members": len(dlist.lines), "total": dlist.total,
                               "payday": dlist.payday.isoformat(), **(meta or {})})
    return SentList(dlist, found)


def send(crm: CRM, actor: Actor, month: dt.date) -> SentList:
    """Send ``month``'s list to the payroll office: archive it (once) and return it.

    The first call archives the list as it stands; every later call returns that
    archived list (``replayed``) whatever the records say now.
    """
    crm.require(actor, "payroll.send")
    month = month.replace(day=1)
    with crm.action("payroll.send", actor):
        return archive_list(crm, actor, month, meta={"sent_by": actor.username})


__all__ = ["FORMAT", "KIND", "SentList", "archive_list", "file_names", "from_snapshot",
           "label_of", "send", "sent", "snapshot"]
