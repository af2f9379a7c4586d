"""Import of the payroll office's confirmation file: what was actually deducted.

The file is the CSV of the deduction list with ``jumlah_dipotong`` filled in
(any CSV with an employee-number column — ``nik_karyawan`` — and an amount
column — ``jumlah_dipotong`` or ``jumlah`` — will do).  Each line must match
the month's deduction list **as it was sent** to the payroll office — the list
archived by ``dyncrm payroll send`` (:mod:`.sent`), never one recomputed from
today's records (a month never sent is archived by its first import):

- the employee number belongs to a member (else *unknown employee number*);
- the member is active (else *member inactive*) and on the list as sent;
- the amount equals the member's total on the list (else *amount differs*);
  ``0`` means the payroll office could not deduct anything: the line is kept as
  *not deducted* and the member's dues stay open (arrears next month);
- the employee appears once.

Members on the list whom the file does not mention are reported as missing;
their dues stay open too.

If every line matches, the whole file is posted in ONE action keyed
``payroll:<batch>``: per line one wajib deposit (``expand.savings``, reference
``payroll:<batch>:<line>:wajib``) and one repayment per loan
(``expand.loans``, ``payroll:<batch>:<line>:loan<id>``), booked on payday.
They are written set-based (:mod:`.bulk`, through ``crm.ledger.post_many``): a
fixed number of statements per 500 lines, not a deposit and a repayment call
per line.
If any line does not match, nothing is posted and the report lists the lines
that do not match: a bad file changes nothing.  The same batch again posts
nothing and says so; a different file under a used batch id is refused, and so
are the same file under another batch id and a second batch for a month already
imported, naming the batch that imported it.  Before payday nothing is imported.
A dry run goes through every one of these checks and the posting, then rolls
back: it refuses exactly what the real import refuses, with the same message.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from dyncrm.db import bulk
from dyncrm.errors import DyncrmError, ValidationError
from dyncrm.gc_pause import gc_paused
from dyncrm.money import from_minor, to_minor
from dyncrm.output import local_day
from dyncrm.text import decode_utf8, describe, odd_character
from dyncrm.values import Actor

from ..models import PayrollBatch, PayrollLine
from ..profiles import employees
from .bulk import post_deductions
from .listing import DeductionList, payday_of, settings_of

if TYPE_CHECKING:
    from dyncrm.app import CRM

EMPLOYEE_COLUMNS = ("nik_karyawan", "employee_number", "nik", "no_karyawan")
AMOUNT_COLUMNS = ("jumlah_dipotong", "dipotong", "jumlah", "amount")


@attrs.frozen
class ConfirmedLine:
    """One line of the confirmation file and what became of it."""

    line_no: int
    employee_number: str
    amount: int  # minor units deducted
    member_id: int | None = None
    number: str | None = None
    name: str | None = None
    expected: int | None = None
    status: str = "ok"  # ok | mismatch | posted | not_deducted
    reason: str = ""


@attrs.frozen
class ImportReport:
    """What an import did (or, for a dry run or a refused file, would do)."""

    batch: str
    month: str
    lines: tuple[ConfirmedLine, ...]
    posted: bool
    replayed: bool = False
    dry_run: bool = False
    #: employee numbers on the month's list with something to deduct, absent from the file
    missing: tuple[str, ...] = ()

    @property
    def mismatches(self) -> tuple[ConfirmedLine, ...]:
        """Lines that do not match the deduction list."""
        return tuple(line for line in self.lines if line.status == "mismatch")

    @property
    def total(self) -> int:
        """Sum of the amounts in the file (minor units)."""
        return sum(line.amount for line in self.lines)


class PayrollFileRejected(DyncrmError):
    """A confirmation file with lines that do not match: nothing was posted."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        n = len(report.mismatches)
        super().__init__(
            f"batch {report.batch}: {n} line(s) of the file do not match the deduction list "
            f"of {report.month}; nothing was posted. Correct the file (or the records) and "
            "import it again")


def _header_index(header: list[str], names: tuple[str, ...], what: str) -> int:
    lowered = [h.strip().lower().lstrip("\ufeff") for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise ValidationError(f"the file has no {what} column (one of: {', '.join(names)}); "
                          f"its columns are: {', '.join(header)}")


def _rows(reader, odd: frozenset[str] | None = None) -> Iterator[list[str]]:
    """The reader's rows; a line the CSV module cannot read (a field longer than
    its limit, an open quote) or holding a control character is refused naming the line.

    ``odd``: the characters of the whole text that :func:`odd_character` refuses
    (given, a cell holding none of them is not looked at character by character)."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            reason = str(exc)
            if "field larger than field limit" in reason:
                reason = (f"a field is longer than {csv.field_size_limit():,} characters; "
                          "this is not a payroll confirmation file")
            raise ValidationError(f"line {reader.line_num} cannot be read: {reason}",
                                  field="file") from None
        for column, cell in enumerate(row, start=1):
            if odd is not None and odd.isdisjoint(cell):
                continue
            bad = next((ch for ch in cell if odd_character(ch)), None)
            if bad is not None:
                raise ValidationError(f"line {reader.line_num}, column {column} contains "
                                      f"{odd_character(bad)}, {describe(bad)}; this is not a "
                                      "payroll confirmation file", field="file")
        yield row


def read_confirmation(crm: CRM, data: bytes) -> list[ConfirmedLine]:
    """Parse a confirmation CSV (``,`` ``;`` or tab separated; amounts as people write them)."""
    text = decode_utf8(data, source="file")  # names the line of a byte that is not UTF-8
    sample = text[:4096]
    if "\n" in sample:  # whole lines only: a cut-off field misleads the sniffer
        sample = sample[:sample.rindex("\n") + 1]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    rows = _rows(reader, frozenset(ch for ch in set(text) if odd_character(ch)))
    header = next(rows, None)
    if not header:
        raise ValidationError("the file is empty")
    emp = _header_index(header, EMPLOYEE_COLUMNS, "employee number")
    amt = _header_index(header, AMOUNT_COLUMNS, "amount deducted")
    exp = crm.ledger.exponent(crm.currency)
    lines = []
    units_of: dict[str, int] = {}  # each amount as written read once (they repeat)
    for line_no, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(emp, amt):
            raise ValidationError(f"line {line_no} has {len(row)} columns, fewer than the "
                                  "header")
        employee = row[emp].strip()
        raw = row[amt].strip()
        if not employee:
            raise ValidationError(f"line {line_no} has no employee number")
        if not raw:
            raise ValidationError(f"line {line_no} ({employee}) has no amount deducted; write "
                                  "0 when nothing was deducted")
        units = units_of.get(raw)
        if units is None:
            try:
                units = units_of[raw] = to_minor(crm.money(raw), exp)
            except DyncrmError as exc:
                raise ValidationError(f"line {line_no} ({employee}): {exc}") from None
        if units < 0:
            raise ValidationError(f"line {line_no} ({employee}): a negative amount")
        lines.append(ConfirmedLine(line_no=line_no, employee_number=employee, amount=units))
    if not lines:
        raise ValidationError("the file has a header but no lines")
    return lines


def match(crm: CRM, dlist: DeductionList, lines: list[ConfirmedLine]) -> list[ConfirmedLine]:
    """Check each line against the deduction list; mismatches carry the reason."""
    listed = dlist.by_employee_number()
    everyone = employees()
    seen: dict[str, int] = {}
    out = []
    for line in lines:
        key = line.employee_number
        if key in seen:
            out.append(attrs.evolve(line, status="mismatch",
                                    reason=f"employee number repeated (also on line {seen[key]})"))
            continue
        seen[key] = line.line_no
        person = everyone.get(key)
        if person is None:
            out.append(attrs.evolve(line, status="mismatch", reason="unknown employee number"))
            continue
        who = (line.line_no, key, line.amount, person.member_id, person.number, person.name)
        if person.stage != "active":
            out.append(ConfirmedLine(*who, status="mismatch",
                                     reason=f"member inactive ({person.stage})"))
            continue
        if key not in listed:
            out.append(ConfirmedLine(*who, status="mismatch",
                                     reason=f"not on the deduction list of {dlist.label} as "
                                            "sent"))
            continue
        expected = listed[key].total
        if line.amount == 0 and expected:
            out.append(ConfirmedLine(*who, expected, status="not_deducted",
                                     reason="nothing deducted"))
            continue
        if line.amount != expected:
            out.append(ConfirmedLine(*who, expected, status="mismatch",
                                     reason=f"amount differs: the list says "
                                            f"{_fmt(crm, expected)}"))
            continue
        out.append(ConfirmedLine(*who, expected))
    return out


def _fmt(crm: CRM, units: int) -> str:
    return crm.format_money(from_minor(units, crm.currency, crm.ledger.exponent(crm.currency)))


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _replayed_report(row: PayrollBatch) -> ImportReport:
    lines = tuple(ConfirmedLine(line_no=x.line_no, employee_number=x.employee_no,
                                amount=x.amount, member_id=x.member_id, expected=x.expected,
                                status=x.status, reason=x.reason)
                  for x in row.lines.order_by(PayrollLine.line_no))
    return ImportReport(batch=row.batch, month=row.period, lines=lines, posted=True,
                        replayed=True, missing=tuple(row.report.get("missing", ())))


class _DryRun(Exception):
    """Raised at the end of a dry run, after every check passed, to roll it all back."""

    def __init__(self, report: ImportReport) -> None:
        self.report = report


def _used(crm: CRM, batch: str, digest: str, label: str) -> None:
    """Refuse a file imported before under another batch id, or a month imported already."""
    for row in PayrollBatch.select().order_by(PayrollBatch.id):
        if row.batch == batch:
            continue
        day = local_day(row.imported_at, crm.tz)
        if (row.report or {}).get("sha256") == digest:
            raise ValidationError(crm.t(
                "this file was already imported in batch {batch} on {date}; nothing was "
                "posted", batch=row.batch, date=day), field="file")
        if row.period == label:
            raise ValidationError(crm.t(
                "the deductions of {month} were already imported in batch {batch} on {date}; "
                "nothing was posted. A month's list is confirmed once: what was not deducted "
                "stays open and comes on next month's list", month=label, batch=row.batch,
                date=day), field="file")


@gc_paused()  # a 100,000-line file: a million objects kept until the end
def import_confirmation(crm: CRM, actor: Actor, source: str | Path | bytes, *, batch: str,
                        month, dry_run: bool = False) -> ImportReport:
    """Post a confirmation file for ``month`` under ``batch``, all lines or none.

    Every line is checked against the month's list **as it was sent** (archived by
    ``dyncrm payroll send``; a month never sent is archived now, as it stands), not
    against a list computed from today's records.  Refused, with nothing written:
    a file imported before under another batch id, a month imported already under
    another batch (both naming that batch), an import before payday, lines that do
    not match.  A dry run runs every one of these checks and the posting itself,
    then rolls everything back: it refuses exactly what the real run refuses.

    :raises PayrollFileRejected: some lines do not match (``.report`` lists them);
        nothing was written.
    """
    from .sent import archive_list, label_of

    crm.require(actor, "payroll.import")
    batch = (batch or "").strip()
    if not batch or len(batch) > 60 or any(c.isspace() for c in batch):
        raise ValidationError("give the payroll office's batch id (no spaces, at most 60 "
                              "characters)", field="batch")
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    digest = _digest(data)
    existing = PayrollBatch.get_or_none(PayrollBatch.batch == batch)
    if existing is not None:
        if existing.report.get("sha256") != digest:
            raise ValidationError(f"batch {batch} was already imported on "
                                  f"{local_day(existing.imported_at, crm.tz)} from another "
                                  "file; use the batch id of this file")
        return attrs.evolve(_replayed_report(existing), dry_run=dry_run)
    lines = read_confirmation(crm, data)
    month = month.replace(day=1)
    label = label_of(month)
    try:
        with crm.action("payroll.import", actor, key=f"payroll:{batch}") as act:
            if act.replayed:  # a concurrent import of the same batch won
                return _replayed_report(PayrollBatch.get(PayrollBatch.batch == batch))
            _used(crm, batch, digest, label)
            payday = payday_of(month, settings_of(crm).payday)
            if payday > crm.today():
                raise ValidationError(crm.t(
                    "the deductions of {month} are booked on payday {payday}, which is still "
                    "to come; import the confirmation after payday", month=label,
                    payday=payday.isoformat()), field="month")
            dlist = archive_list(crm, actor, month, meta={"archived_at_import": batch}).dlist
            checked = match(crm, dlist, lines)
            named = {line.employee_number for line in lines}
            listed = dlist.by_employee_number()
            missing = tuple(sorted(emp for emp, line in listed.items()
                                   if line.total and emp not in named))
            report = ImportReport(batch=batch, month=dlist.label, lines=tuple(checked),
                                  posted=False, dry_run=dry_run, missing=missing)
            if report.mismatches:
                raise PayrollFileRejected(report)
            row = PayrollBatch.create(batch=batch, period=dlist.label,
                                      imported_by=actor.username, imported_at=crm.now(),
                                      filename="", report={"sha256": digest})
            post_deductions(crm, actor, batch,
                            [(line.line_no, listed[line.employee_number]) for line in checked
                             if line.status == "ok"], dlist.payday)
            done = [attrs.evolve(line, status="posted") if line.status == "ok" else line
                    for line in checked]
            bulk.insert_dicts(crm.database, PayrollLine, [
                {"batch": row.id, "line_no": line.line_no, "employee_no": line.employee_number,
                 "member": line.member_id, "amount": line.amount, "expected": line.expected,
                 "status": line.status, "reason": line.reason} for line in done])
            posted = [x for x in done if x.status == "posted"]
            row.posted_lines = len(posted)
            row.rejected_lines = len(done) - len(posted)
            row.posted_total = sum(x.amount for x in posted)
            row.report = {"sha256": digest, "missing": list(missing)}
            row.save()
            if dry_run:  # every check passed and the posting went through: undo it all
                raise _DryRun(report)
            act.done(batch=batch, lines=len(posted), total=row.posted_total)
    except _DryRun as stop:
        return stop.report
    return attrs.evolve(report, lines=tuple(done), posted=True)


def batches() -> list[PayrollBatch]:
    """Every imported batch, newest first."""
    return list(PayrollBatch.select().order_by(PayrollBatch.imported_at.desc()))


__all__ = ["ConfirmedLine", "ImportReport", "PayrollFileRejected", "batches",
           "import_confirmation", "match", "read_confirmation"]
