"""Members' purchases in a business unit, imported for the SHU's jasa usaha.

A cooperative with a shop (toko, waserda) shares the shop's jasa usaha pool by
what each member bought in the year.  The shop's till is not in dyncrm, so its
sales per member are imported from a CSV file::

    dyncrm --as bendahara shu purchases import --year 2025 --unit toko belanja-2025.csv

The file has a member-number column (``nomor_anggota``, ``nomor`` or
``member``) and an amount column (``jumlah``, ``belanja``, ``total`` or
``amount``); amounts are written as people write them (``1.250.000``,
``Rp 1.250.000``).  A member may appear on several lines (the amounts add up).

- All or nothing: a line naming an unknown member, a missing or negative
  amount, or a line that cannot be read refuses the whole file, naming the lines
  (up to ten); nothing is written.
- Idempotent by file: the same file (same content) again imports nothing and
  says when it was imported; several different files of a year add up (e.g.
  one per month).
- Refused once the year's SHU is approved: its figures are locked.
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import TYPE_CHECKING

import attrs

from dyncrm.db import bulk
from dyncrm.db.models import Member
from dyncrm.errors import DyncrmError, ValidationError
from dyncrm.money import to_minor
from dyncrm.output import local_day
from dyncrm.text import decode_utf8, describe, odd_character
from dyncrm.values import Actor

from ..models import ShuPurchase, ShuPurchaseFile, ShuYear
from .rules import PLUGIN

if TYPE_CHECKING:
    from dyncrm.app import CRM

MEMBER_COLUMNS = ("nomor_anggota", "nomor", "member", "member_number")
AMOUNT_COLUMNS = ("jumlah", "belanja", "total", "amount")
SHOWN_ERRORS = 10


@attrs.frozen
class PurchaseImport:
    """What an import did (or, replayed, had done)."""

    year: int
    unit: str
    lines: int
    members: int
    total: int  # minor units
    replayed: bool = False
    imported_at: str = ""


def purchase_units(crm: CRM) -> list[str]:
    """The business units whose jasa usaha basis is ``purchases``."""
    settings = crm.plugin_config(PLUGIN)
    return [name for name, unit in settings.units.items() if unit.basis == "purchases"]


def _unit(crm: CRM, unit: str | None) -> str:
    units = purchase_units(crm)
    if not units:
        raise ValidationError(
            f'no business unit shares its jasa usaha by purchases; add one under '
            f'[plugins."{PLUGIN}".units.NAME] with basis = "purchases"', field="unit")
    if unit is None:
        if len(units) > 1:
            raise ValidationError(f"say which unit the purchases belong to (--unit): "
                                  f"{', '.join(units)}", field="unit")
        return units[0]
    if unit not in units:
        raise ValidationError(f"unit {unit!r} does not share its jasa usaha by purchases; "
                              f"the units that do: {', '.join(units)}", field="unit")
    return unit


def _column(header: list[str], names: tuple[str, ...], what: str) -> int:
    lowered = [h.strip().lower().lstrip("\ufeff") for h in header]
    for name in names:
        if name in lowered:
            return lowered.index(name)
    raise ValidationError(f"the file has no {what} column (one of: {', '.join(names)}); "
                          f"its columns are: {', '.join(header)}", field="file")


def read_purchases(crm: CRM, data: bytes) -> list[tuple[int, str, int]]:
    """``(line number, member number, minor units)`` of every line of the file.

    :raises ValidationError: naming every line (up to ten) that is not right.
    """
    text = decode_utf8(data, source="file")
    sample = text[:4096]
    if "\n" in sample:
        sample = sample[:sample.rindex("\n") + 1]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise ValidationError(f"line {reader.line_num} cannot be read: {exc}",
                              field="file") from None
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ValidationError("the file is empty", field="file")
    header = rows[0]
    who = _column(header, MEMBER_COLUMNS, "member number")
    amt = _column(header, AMOUNT_COLUMNS, "amount")
    exp = crm.ledger.exponent(crm.currency)
    lines, errors = [], []
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        bad = next((ch for cell in row for ch in cell if odd_character(ch)), None)
        if bad is not None:
            errors.append(f"line {line_no}: contains {describe(bad)}")
            continue
        if len(row) <= max(who, amt):
            errors.append(f"line {line_no}: {len(row)} columns, fewer than the header")
            continue
        number, raw = row[who].strip(), row[amt].strip()
        if not number:
            errors.append(f"line {line_no}: no member number")
            continue
        if not raw:
            errors.append(f"line {line_no} ({number}): no amount")
            continue
        try:
            units = to_minor(crm.money(raw), exp)
        except DyncrmError as exc:
            errors.append(f"line {line_no} ({number}): {exc}")
            continue
        if units < 0:
            errors.append(f"line {line_no} ({number}): a negative amount")
            continue
        lines.append((line_no, number, units))
    if not errors and not lines:
        raise ValidationError("the file has a header but no lines", field="file")
    numbers = {n for _, n, _ in lines}
    known = {}
    for chunk in [sorted(numbers)[i:i + 500] for i in range(0, len(numbers), 500)]:
        known.update({n: mid for mid, n in Member.select(Member.id, Member.number)
                      .where(Member.number.in_(chunk)).tuples()})
    errors.extend(f"line {line_no} ({number}): no member has this number"
                  for line_no, number, _ in lines if number not in known)
    if errors:
        more = len(errors) - SHOWN_ERRORS
        raise ValidationError(
            f"{len(errors)} line(s) of the file are not right; nothing was imported: "
            + "; ".join(errors[:SHOWN_ERRORS]) + (f"; and {more} more" if more > 0 else ""),
            field="file")
    return [(line_no, known[number], units) for line_no, number, units in lines]


def import_purchases(crm: CRM, actor: Actor, source: str | Path | bytes, *, year: int,
                     unit: str | None = None, filename: str = "") -> PurchaseImport:
    """Import a purchases file of ``year`` for ``unit``, all lines or none, once.

    Needs ``shu.enter`` (the treasurer).  One action: the file row and its lines
    commit together.
    """
    crm.require(actor, "shu.enter")
    unit = _unit(crm, unit)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if not filename and not isinstance(source, bytes):
        filename = Path(source).name
    digest = hashlib.sha256(data).hexdigest()
    with crm.action("shu.purchases.import", actor, key=f"shu:purchases:{digest}") as act:
        crm.lock([f"shu:{year}"])  # not while the year is being approved
        existing = ShuPurchaseFile.get_or_none(ShuPurchaseFile.sha256 == digest)
        if existing is not None:
            if (existing.year, existing.unit) != (year, unit):
                raise ValidationError(
                    f"this file was already imported for {existing.unit} {existing.year} on "
                    f"{local_day(existing.imported_at, crm.tz)}; it is not imported again for "
                    f"{unit} {year}", field="file")
            members = (ShuPurchase.select(ShuPurchase.member).where(
                ShuPurchase.file == existing.id).distinct().count())
            return PurchaseImport(year=year, unit=unit, lines=existing.lines, members=members,
                                  total=existing.total, replayed=True,
                                  imported_at=local_day(existing.imported_at, crm.tz))
        row = ShuYear.get_or_none(ShuYear.year == year)
        if row is not None and row.status != "entered":
            raise ValidationError(f"SHU {year} is already {row.status}; its figures are locked "
                                  "and purchases can no longer be added", field="year")
        lines = read_purchases(crm, data)
        record = ShuPurchaseFile.create(
            sha256=digest, year=year, unit=unit, filename=filename[:200],
            lines=len(lines), total=sum(u for _, _, u in lines),
            imported_by=actor.username, imported_at=crm.now())
        bulk.insert_dicts(crm.database, ShuPurchase, [
            {"file": record.id, "line_no": line_no, "year": year, "unit": unit,
             "member": member_id, "amount": units} for line_no, member_id, units in lines])
        act.done(year=year, unit=unit, lines=len(lines), total=record.total)
    return PurchaseImport(year=year, unit=unit, lines=len(lines),
                          members=len({m for _, m, _ in lines}), total=record.total)


def purchase_files(year: int) -> list[ShuPurchaseFile]:
    """The purchases files imported for ``year``, oldest first."""
    return list(ShuPurchaseFile.select().where(ShuPurchaseFile.year == year)
                .order_by(ShuPurchaseFile.id))
