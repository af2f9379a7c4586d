"""Spreadsheets people bring (CSV, XLSX) read as grids of text, with where each cell is.

:func:`read_grids` reads files into :class:`Grid` values: one per CSV file, one per
worksheet of an XLSX workbook; each row keeps the number a spreadsheet program shows
(the header line being row 1) and its cells as the text a person would have typed,
stripped, blank rows dropped.  Every file gets its SHA-256 (:class:`SourceFile`), so a
caller can recognise a file imported before.  Nothing is interpreted here: amounts,
dates and codes are parsed by the caller with the library's parsers (:mod:`dyncrm.money`,
:mod:`dyncrm.inputs`), which name the field they refuse.

XLSX needs openpyxl, an optional extra (``pip install 'dyncrm[xlsx]'``); without it
reading a workbook says so.  A number cell is turned into the shortest digits that read
back as that number, never into a value computed in floating point.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import attrs

from dyncrm.errors import DyncrmError, ValidationError
from dyncrm.text import decode_utf8, describe, odd_character

#: The largest file read.
MAX_FILE_BYTES = 50_000_000


@attrs.frozen
class SourceFile:
    """A file read: its path, its name as shown, and the SHA-256 of its bytes."""

    path: str
    name: str
    sha256: str


def _grid_csv(data: bytes, name: str) -> Iterator[tuple[int, list[str]]]:
    """``(row number, cells)`` of a CSV file (``,`` ``;`` or tab separated)."""
    text = decode_utf8(data, source=name)
    sample = text[:4096]
    if "\n" in sample:
        sample = sample[:sample.rindex("\n") + 1]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text), dialect)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ValidationError(f"{name}: line {reader.line_num} cannot be read: {exc}"
                                  ) from None
        yield reader.line_num, row


def _cell_text(value: Any) -> str:
    """An XLSX cell as the text a person would have typed (never via float arithmetic:
    a number cell is written with the shortest digits that read back as it)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        text = repr(value)
        if "e" in text or "E" in text:
            from decimal import Decimal

            text = format(Decimal(text), "f")
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def _openpyxl():
    try:
        import openpyxl
    except ImportError:
        raise DyncrmError("reading XLSX needs openpyxl, an optional extra: pip install "
                          "'dyncrm[xlsx]' (or save each sheet as CSV)") from None
    return openpyxl


def _grids_xlsx(data: bytes, name: str) -> list[tuple[str, list[tuple[int, list[str]]]]]:
    """``(worksheet title, [(row number, cells), ...])`` of every worksheet."""
    openpyxl = _openpyxl()
    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ValidationError(f"{name} cannot be read as an XLSX workbook ({exc})") from None
    try:
        out = []
        for ws in book.worksheets:
            grid = [(n, [_cell_text(v) for v in row])
                    for n, row in enumerate(ws.iter_rows(values_only=True), start=1)]
            out.append((ws.title, grid))
        return out
    finally:
        book.close()


def _clean(grid: Iterable[tuple[int, list[str]]], where: str) -> list[tuple[int, list[str]]]:
    """Rows with their cells stripped, blank rows dropped; an odd character refuses."""
    out = []
    for line, cells in grid:
        cells = [c.strip() for c in cells]
        for column, cell in enumerate(cells, start=1):
            bad = next((ch for ch in cell if odd_character(ch)), None)
            if bad is not None:
                raise ValidationError(f"{where}, row {line}, column {column} contains "
                                      f"{odd_character(bad)}, {describe(bad)}")
        if any(cells):
            out.append((line, cells))
    return out


@attrs.frozen
class Grid:
    """One sheet of a file as text: its rows (number as a spreadsheet shows it, cells)."""

    source: SourceFile
    worksheet: str | None  #: the worksheet title (XLSX), None for CSV
    label: str  #: the name the file's rows are found by (file stem or worksheet title)
    rows: list[tuple[int, list[str]]]


def read_grids(paths: Sequence[str | Path]) -> tuple[list[SourceFile], list[Grid]]:
    """The files' contents as grids of text, with each file's SHA-256."""
    sources, grids = [], []
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            raise ValidationError(f"{path}: cannot be read ({exc.strerror or exc})") from None
        if len(data) > MAX_FILE_BYTES:
            raise ValidationError(f"{path.name} is larger than {MAX_FILE_BYTES:,} bytes")
        source = SourceFile(path=str(path), name=path.name,
                            sha256=hashlib.sha256(data).hexdigest())
        if source.sha256 in seen:
            raise ValidationError(f"{path.name} and {seen[source.sha256]} are the same file")
        seen[source.sha256] = path.name
        sources.append(source)
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            for title, grid in _grids_xlsx(data, path.name):
                grids.append(Grid(source, title, title,
                                   _clean(grid, f"{path.name}, sheet {title}")))
        elif path.suffix.lower() in (".csv", ".txt", ".tsv"):
            grids.append(Grid(source, None, path.stem, _clean(_grid_csv(data, path.name),
                                                               path.name)))
        else:
            raise ValidationError(f"{path.name}: give CSV (.csv) or XLSX (.xlsx) files")
    return sources, grids


__all__ = ["MAX_FILE_BYTES", "Grid", "SourceFile", "read_grids"]
