"""Opening balances: a cooperative's books moved into dyncrm from spreadsheets.

A cooperative moving to dyncrm brings its member register, its members' savings
balances and its running loans as they stood on the **cut-over date**.  The core
reads the files (CSV, or XLSX with one worksheet per sheet) and reconciles the
result; each plugin owns the sheet of its own records through the hook
``dyncrm_opening_sheets`` (``anggota`` by ``acquire.registration``, ``simpanan`` by
``expand.savings``, ``pinjaman`` by ``expand.loans``).

:func:`import_opening` is one action, all or nothing:

1. every file is read and its columns matched to the sheet's columns (English
   and Indonesian headers, :attr:`Column.headers`);
2. every sheet checks every row (in sheet order, so ``simpanan`` knows the
   members ``anggota`` brings); each problem names the file, row and column,
   and any problem refuses the whole import before anything is written;
3. the sheets write their records in sheet order — the money as opening
   entries against ``equity.opening`` dated the cut-over date, through the
   ledger's bulk path;
4. the totals as imported are compared with the control totals the
   cooperative gives and with the ledger after the import; a difference
   refuses the import (nothing written) unless differences are accepted;
5. each file's SHA-256 is recorded as the action key ``opening:<sha256>``, so
   importing the same file again changes nothing and says when and by whom it
   was imported.

A dry run does all of that inside the transaction and rolls it back: the report
is the one a real import would give, and the database is exactly unchanged.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from dyncrm import inputs
from dyncrm.errors import DyncrmError, PluginError, ValidationError
from dyncrm.spreadsheets import Grid, SourceFile, read_grids

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import Actor

#: Account the opening entries are balanced against (organisation account, equity).
EQUITY_ACCOUNT = "equity.opening"
#: Permission an opening import needs.
PERMISSION = "opening.import"
#: Action-key prefix of imported files (``opening:<sha256>``).
KEY_PREFIX = "opening:"
#: Names a control-total sheet or file goes by.
CONTROL_NAMES = ("kontrol", "control", "controls", "total_kontrol", "control_totals")
_CONTROL_KIND = ("jenis", "kind", "total", "item", "uraian", "pos")
_CONTROL_AMOUNT = ("jumlah", "amount", "nilai", "value", "total_kontrol", "control")
#: Problems listed in an error message (all of them are in the report).
SHOWN_PROBLEMS = 20


def normalise(header: Any) -> str:
    """A header as compared: lower case, runs of anything but letters and digits as one
    ``_`` (``"Nomor Anggota"``, ``"nomor-anggota"`` and ``"NOMOR_ANGGOTA"`` are equal)."""
    text = str(header or "").replace("\ufeff", "").strip().lower()
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


# --- what a plugin declares -----------------------------------------------------------


@attrs.frozen
class Column:
    """One column of a sheet: its key, the headers it goes by, whether it is required."""

    name: str
    headers: tuple[str, ...] = attrs.field(converter=tuple)
    required: bool = False
    description: str = ""

    def matches(self, header: str) -> bool:
        """True when the normalised ``header`` is one of this column's names."""
        return header in {normalise(h) for h in (self.name, *self.headers)}


@attrs.frozen
class Total:
    """A total a sheet reports (a count of rows or an amount), reconciled with the
    cooperative's control total of the same name."""

    name: str
    label: str
    money: bool = True
    synonyms: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    def matches(self, text: str) -> bool:
        """True when ``text`` names this total (normalised)."""
        return normalise(text) in {normalise(n) for n in (self.name, *self.synonyms)}


@attrs.frozen
class OpeningSheet:
    """A sheet of opening balances a plugin reads (hook ``dyncrm_opening_sheets``).

    ``check(crm, ctx, rows)`` parses and checks every :class:`SheetRow`, reporting
    each problem with ``ctx.problem(row, column, message)`` and the sheet's totals
    with ``ctx.add_total``; it returns a plan (anything) for ``write``.  It must not
    write.  ``write(crm, ctx, plan)`` writes the plan (``plan`` is ``None`` when the
    sheet is not among the files: a sheet may still act on ``ctx.new_members``).
    ``ledger_totals(crm, ctx, plan)`` reads back from the database, after the
    writes, the same totals as the sheet reported (``{total name: value}``).
    Sheets run in ``order``.
    """

    name: str
    title: str
    plugin: str
    order: int
    columns: tuple[Column, ...] = attrs.field(converter=tuple)
    totals: tuple[Total, ...] = attrs.field(converter=tuple)
    check: Callable[..., Any] = attrs.field(eq=False, repr=False)
    write: Callable[..., None] = attrs.field(eq=False, repr=False)
    ledger_totals: Callable[..., Mapping[str, int]] = attrs.field(eq=False, repr=False)
    #: other names of files and worksheets holding this sheet (``members``, ``savings``)
    aliases: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    def names(self) -> set[str]:
        """Normalised names a file or worksheet of this sheet may carry."""
        return {normalise(n) for n in (self.name, *self.aliases)}

    def column(self, header: str) -> Column | None:
        """The column a (normalised) header belongs to."""
        return next((c for c in self.columns if c.matches(header)), None)


# --- what was read ----------------------------------------------------------------


@attrs.frozen
class SheetRow:
    """One data row: where it is (file, worksheet, row number as a spreadsheet shows
    it, the header line being row 1) and its cells by column name (stripped text,
    ``None`` when empty)."""

    file: str
    sheet: str | None
    line: int
    values: Mapping[str, str | None]
    headers: Mapping[str, str]

    def get(self, column: str) -> str | None:
        """The cell of ``column`` (``None`` when empty or absent)."""
        return self.values.get(column)

    def where(self, column: str | None = None) -> str:
        """``anggota.csv, row 4, column NIK`` (the column as the file spells it)."""
        place = self.file + (f", sheet {self.sheet}" if self.sheet else "") + f", row {self.line}"
        if column is not None:
            place += f", column {self.headers.get(column, column)}"
        return place


@attrs.frozen
class Problem:
    """Something that refuses the import, with where it is."""

    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@attrs.frozen
class ReadSheet:
    """One sheet as read from a file."""

    sheet: OpeningSheet
    source: SourceFile
    worksheet: str | None
    rows: tuple[SheetRow, ...]
    ignored: tuple[str, ...] = ()  #: headers of columns the sheet does not know


@attrs.frozen
class ReconLine:
    """One total: as imported from the sheet, as given by the cooperative, as the
    ledger has it after the import (``None``: not given / not read)."""

    sheet: str
    total: str
    label: str
    money: bool
    imported: int
    control: int | None = None
    ledger: int | None = None

    @property
    def status(self) -> str:
        """``ok``, ``differs`` (from the control total or the ledger) or ``no control``."""
        if self.ledger is not None and self.ledger != self.imported:
            return "differs"
        if self.control is None:
            return "no control"
        return "ok" if self.control == self.imported else "differs"


@attrs.frozen
class OpeningReport:
    """What an import did, or — dry run, refusal — would have done."""

    as_of: dt.date
    files: tuple[SourceFile, ...]
    sheets: tuple[tuple[str, str, int], ...]  #: (file, sheet, rows)
    lines: tuple[ReconLine, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = ()
    dry_run: bool = False
    written: bool = False
    replayed: bool = False
    accepted_differences: bool = False
    #: for a replay: when and by whom the files were imported
    previous: tuple[tuple[str, str, str], ...] = ()  #: (file, at, actor)

    @property
    def differences(self) -> tuple[ReconLine, ...]:
        """The totals that differ from their control total or from the ledger."""
        return tuple(line for line in self.lines if line.status == "differs")

    def rows(self, crm: CRM | None = None, *, plain: bool = False) -> list[dict[str, Any]]:
        """The reconciliation as table rows: amounts formatted (``Rp 1.250.000``) when
        ``crm`` is given, or as plain numbers of the currency with ``plain`` (for CSV)."""
        def shown(line: ReconLine, value: int | None) -> Any:
            if value is None:
                return ""
            if line.money and crm is not None:
                money = crm.ledger_money(value)
                return money.amount if plain else crm.format_money(money)
            return value

        return [{"sheet": line.sheet, "total": line.label,
                 "imported": shown(line, line.imported), "control": shown(line, line.control),
                 "ledger": shown(line, line.ledger),
                 "difference": (shown(line, line.imported - line.control)
                                if line.control is not None else ""),
                 "status": line.status} for line in self.lines]

    def as_dict(self, crm: CRM | None = None) -> dict[str, Any]:
        """The report for ``--json``: amounts as plain numbers of the currency."""
        def amount(line: ReconLine, value: int | None) -> Any:
            if value is None or not line.money or crm is None:
                return value
            return crm.ledger_money(value)

        return {
            "as_of": self.as_of.isoformat(), "dry_run": self.dry_run, "written": self.written,
            "replayed": self.replayed, "accepted_differences": self.accepted_differences,
            "files": [{"file": f.name, "sha256": f.sha256} for f in self.files],
            "sheets": [{"file": f, "sheet": s, "rows": n} for f, s, n in self.sheets],
            "totals": [{"sheet": line.sheet, "total": line.total, "label": line.label,
                        "imported": amount(line, line.imported),
                        "control": amount(line, line.control),
                        "ledger": amount(line, line.ledger), "status": line.status}
                       for line in self.lines],
            "problems": [{"where": p.where, "message": p.message} for p in self.problems],
            "notes": list(self.notes),
            "previous": [{"file": f, "at": at, "by": by} for f, at, by in self.previous],
        }


class OpeningRejected(DyncrmError):
    """The import was refused: bad rows, or totals that differ.  Nothing was written."""

    def __init__(self, report: OpeningReport, message: str) -> None:
        self.report = report
        super().__init__(message)


class _RollBack(Exception):
    """Raised at the end of a dry run to roll its transaction back."""

    def __init__(self, report: OpeningReport) -> None:
        self.report = report


# --- the context the sheets share ----------------------------------------------------


@attrs.define
class OpeningContext:
    """What the sheets of one import share: the cut-over date, the actor, the members
    (by number) and the problems and totals found so far."""

    crm: Any
    actor: Any
    as_of: dt.date
    files: tuple[SourceFile, ...]
    #: member number → member id; ``None`` for a member the ``anggota`` sheet brings
    #: (filled in once it is written)
    members: dict[str, int | None] = attrs.field(factory=dict)
    #: members written by this import: id → date they joined
    new_members: dict[int, dt.date] = attrs.field(factory=dict)
    problems: list[Problem] = attrs.field(factory=list)
    totals: dict[tuple[str, str], int] = attrs.field(factory=dict)
    notes: list[str] = attrs.field(factory=list)

    @property
    def meta(self) -> dict[str, Any]:
        """What opening entries carry in their ``meta``: the files they came from."""
        return {"opening": [{"file": f.name, "sha256": f.sha256} for f in self.files],
                "as_of": self.as_of.isoformat()}

    def problem(self, row: SheetRow, column: str | None, message: str) -> None:
        """Report a problem with ``row`` (and ``column``): the import will be refused."""
        self.problems.append(Problem(row.where(column), message))

    def add_total(self, sheet: str, total: str, value: int) -> None:
        """Add ``value`` to the sheet's total ``total`` (minor units or a count)."""
        self.totals[(sheet, total)] = self.totals.get((sheet, total), 0) + value

    def cell(self, row: SheetRow, column: str, parse: Callable[[str], Any], *,
             required: bool = False, default: Any = None) -> Any:
        """``parse(cell)`` of ``row``'s ``column``; a refusal of the parser (any
        :class:`~dyncrm.errors.DyncrmError`) or an empty required cell becomes a
        problem and gives ``None``; an empty optional cell gives ``default``."""
        raw = row.get(column)
        if raw is None:
            if required:
                self.problem(row, column, "is empty; it is required")
            return None if required else default
        try:
            return parse(raw)
        except DyncrmError as exc:
            self.problem(row, column, getattr(exc, "message", None) or str(exc))
            return None

    def amount(self, row: SheetRow, column: str, *, required: bool = False,
               allow_zero: bool = True) -> int | None:
        """An amount cell in minor units (``1.234.567``, ``Rp 1.234.567`` accepted);
        negative amounts are problems, so is zero unless ``allow_zero``."""
        crm = self.crm
        exponent = crm.ledger.exponent(crm.currency)

        def parse(text: str) -> int:
            from dyncrm.money import to_minor

            value = to_minor(crm.money(text, field=column), exponent)
            if value < 0 or (value == 0 and not allow_zero):
                raise ValidationError(f"must be {'zero or more' if allow_zero else 'above zero'}"
                                      f", not {text}")
            return value

        return self.cell(row, column, parse, required=required, default=0)

    def date(self, row: SheetRow, column: str, *, required: bool = False) -> dt.date | None:
        """A date cell (``YYYY-MM-DD``, ``DD-MM-YYYY``, ``DD/MM/YYYY``) on or before the
        cut-over date."""
        def parse(text: str) -> dt.date:
            day = inputs.parse_date(text, field=column, kind="business", today=self.as_of)
            if day > self.as_of:
                raise ValidationError(f"{day.isoformat()} is after the cut-over date "
                                      f"{self.as_of.isoformat()}")
            return day

        return self.cell(row, column, parse, required=required)

    def known_members(self, numbers: Iterable[str]) -> dict[str, int | None]:
        """Of ``numbers``, those this import brings or the register holds (one ``IN``
        query per chunk for the latter): number → id (``None``: not written yet)."""
        from dyncrm.db import bulk

        wanted = list(dict.fromkeys(numbers))
        ask = [n for n in wanted if n not in self.members]
        if ask:
            found = bulk.select_in(self.crm.database,
                                   "SELECT number, id FROM member WHERE number IN ({in})",
                                   ask, size=500)
            self.members.update({number: member_id for number, member_id in found})
        return {n: self.members[n] for n in wanted if n in self.members}

    def member_ids(self, numbers: Iterable[str]) -> dict[str, int]:
        """Member ids by number, for writing (every number must be known by then)."""
        self.known_members(numbers)
        return {n: self.members[n] for n in numbers if self.members.get(n) is not None}


# --- sheets from the plugins ----------------------------------------------------------


def sheets(crm: CRM) -> list[OpeningSheet]:
    """The sheets the enabled plugins read, in order (hook ``dyncrm_opening_sheets``)."""
    found: dict[str, OpeningSheet] = {}
    for declared in crm.hook.dyncrm_opening_sheets(crm=crm):
        for sheet in declared or []:
            if not isinstance(sheet, OpeningSheet):
                raise PluginError("dyncrm_opening_sheets must return OpeningSheet values, not "
                                  f"{type(sheet).__name__}", hook="dyncrm_opening_sheets")
            if sheet.name in found:
                raise PluginError(f"opening sheet {sheet.name!r} is declared by both "
                                  f"{found[sheet.name].plugin} and {sheet.plugin}",
                                  hook="dyncrm_opening_sheets")
            found[sheet.name] = sheet
    return sorted(found.values(), key=lambda s: (s.order, s.name))


def _which_sheet(grid: Grid, known: list[OpeningSheet]) -> OpeningSheet | str | None:
    """The sheet a grid holds: by its name (file stem or worksheet title), else by its
    header (the only sheet whose required columns are all there); ``"control"`` for
    control totals; ``None`` when it cannot tell."""
    label = normalise(grid.label)
    words = set(label.split("_"))
    if label in CONTROL_NAMES or words & {"kontrol", "control"}:
        return "control"
    by_name = [s for s in known if label in s.names() or words & s.names()]
    if len(by_name) == 1:
        return by_name[0]
    if not grid.rows:
        return None
    header = [normalise(h) for h in grid.rows[0][1]]
    by_header = [s for s in known
                 if all(any(c.matches(h) for h in header) for c in s.columns if c.required)]
    return by_header[0] if len(by_header) == 1 else None


def _read_sheet(sheet: OpeningSheet, grid: Grid, problems: list[Problem]) -> ReadSheet:
    where = grid.source.name + (f", sheet {grid.worksheet}" if grid.worksheet else "")
    if not grid.rows:
        problems.append(Problem(where, "is empty"))
        return ReadSheet(sheet, grid.source, grid.worksheet, ())
    header_line, header = grid.rows[0]
    mapping: dict[int, Column] = {}
    headers: dict[str, str] = {}
    ignored = []
    for index, text in enumerate(header):
        if not text:
            continue
        column = sheet.column(normalise(text))
        if column is None:
            ignored.append(text)
            continue
        if column.name in headers:
            problems.append(Problem(f"{where}, row {header_line}",
                                    f"columns {headers[column.name]!r} and {text!r} are both "
                                    f"{column.name}; keep one"))
            continue
        mapping[index] = column
        headers[column.name] = text
    for column in sheet.columns:
        if column.required and column.name not in headers:
            names = ", ".join(dict.fromkeys((column.name, *column.headers)))
            problems.append(Problem(f"{where}, row {header_line}",
                                    f"has no {column.name} column (one of: {names})"))
    rows = []
    for line, cells in grid.rows[1:]:
        values = {c.name: None for c in sheet.columns}
        for index, column in mapping.items():
            if index < len(cells) and cells[index]:
                values[column.name] = cells[index]
        rows.append(SheetRow(grid.source.name, grid.worksheet, line, values, headers))
    return ReadSheet(sheet, grid.source, grid.worksheet, tuple(rows), tuple(ignored))


def read_sheets(crm: CRM, paths: Sequence[str | Path]
                ) -> tuple[list[SourceFile], list[ReadSheet], list[Grid], list[Problem]]:
    """Read ``paths`` into the sheets the plugins declare; the problems found so far."""
    known = sheets(crm)
    sources, grids = read_grids(paths)
    read, controls, problems = [], [], []
    taken: dict[str, str] = {}
    for grid in grids:
        where = grid.source.name + (f", sheet {grid.worksheet}" if grid.worksheet else "")
        sheet = _which_sheet(grid, known)
        if sheet == "control":
            controls.append(grid)
            continue
        if sheet is None:
            if grid.worksheet is not None and not grid.rows:
                continue  # an empty worksheet of a workbook ("Sheet1")
            names = ", ".join(s.name for s in known)
            problems.append(Problem(where, f"is not one of the sheets {names} (or kontrol); "
                                           "name the file or worksheet after its sheet"))
            continue
        assert isinstance(sheet, OpeningSheet)
        if sheet.name in taken:
            problems.append(Problem(where, f"is a second {sheet.name} sheet (the first is "
                                           f"{taken[sheet.name]}); give each sheet once"))
            continue
        taken[sheet.name] = where
        read.append(_read_sheet(sheet, grid, problems))
    return sources, read, controls, problems


# --- control totals ------------------------------------------------------------------


def _total_named(known: list[OpeningSheet], name: str) -> tuple[OpeningSheet, Total] | None:
    for sheet in known:
        for total in sheet.totals:
            if total.matches(name) or normalise(name) == normalise(f"{sheet.name}_{total.name}"):
                return sheet, total
    return None


def parse_controls(crm: CRM, given: Mapping[str, str] | Iterable[tuple[str, str]],
                   where: str = "--control-total") -> dict[tuple[str, str], int]:
    """Control totals ``{(sheet, total): value}`` from ``(name, amount)`` pairs.

    Names are a sheet's totals or their synonyms (``anggota``, ``pokok``,
    ``simpanan wajib``, ``sisa pokok``...); amounts as people write them
    (``1.234.567``, ``Rp 1.234.567``), counts as whole numbers.
    """
    from dyncrm.money import parse_money, to_minor

    known = sheets(crm)
    pairs = given.items() if isinstance(given, Mapping) else given
    out: dict[tuple[str, str], int] = {}
    for name, raw in pairs:
        found = _total_named(known, name)
        if found is None:
            names = ", ".join(t.name for s in known for t in s.totals)
            raise ValidationError(f"{where}: {name!r} is not a total; totals: {names}")
        sheet, total = found
        try:
            if total.money:  # a sum: not held to the largest amount one action takes
                exponent = crm.ledger.exponent(crm.currency)
                value = to_minor(parse_money(raw, crm.currency, field=total.name,
                                             decimal_mark=crm.locale.decimal_mark,
                                             exponent=exponent), exponent)
            else:
                value = inputs.parse_count(raw.replace(".", ""), field=total.name)
        except DyncrmError as exc:
            raise ValidationError(f"{where}: {exc}") from None
        if value < 0:
            raise ValidationError(f"{where}: {total.name} must not be negative")
        if (sheet.name, total.name) in out:
            raise ValidationError(f"{where}: {total.name} is given twice")
        out[(sheet.name, total.name)] = value
    return out


def _control_pairs(grid: Grid) -> list[tuple[str, str]]:
    where = grid.source.name + (f", sheet {grid.worksheet}" if grid.worksheet else "")
    if not grid.rows:
        return []
    header_line, header = grid.rows[0]
    names = [normalise(h) for h in header]
    kind = next((i for i, h in enumerate(names) if h in _CONTROL_KIND), None)
    amount = next((i for i, h in enumerate(names) if h in _CONTROL_AMOUNT), None)
    if kind is None or amount is None:
        raise ValidationError(f"{where}, row {header_line}: a control sheet has two columns, "
                              f"jenis (kind) and jumlah (amount)")
    pairs = []
    for line, cells in grid.rows[1:]:
        name = cells[kind] if kind < len(cells) else ""
        value = cells[amount] if amount < len(cells) else ""
        if not name or not value:
            raise ValidationError(f"{where}, row {line}: give both jenis and jumlah")
        pairs.append((name, value))
    return pairs


def read_controls(crm: CRM, grids: Iterable[Grid]) -> dict[tuple[str, str], int]:
    """Control totals from control sheets or files (columns jenis, jumlah)."""
    out: dict[tuple[str, str], int] = {}
    for grid in grids:
        where = grid.source.name + (f", sheet {grid.worksheet}" if grid.worksheet else "")
        for key, value in parse_controls(crm, _control_pairs(grid), where).items():
            if key in out:
                raise ValidationError(f"{where}: the control total {key[1]} is given twice")
            out[key] = value
    return out


def control_file(crm: CRM, path: str | Path) -> dict[tuple[str, str], int]:
    """Control totals from a small CSV or XLSX file (columns jenis, jumlah)."""
    _, grids = read_grids([path])
    return read_controls(crm, grids)


# --- the import -----------------------------------------------------------------------


def _previous(crm: CRM, sources: Sequence[SourceFile]) -> dict[str, tuple[str, str]]:
    """Files already imported: sha256 → (when, by whom)."""
    from dyncrm.db.models import ActionKey

    keys = [KEY_PREFIX + s.sha256 for s in sources]
    found = {}
    for row in ActionKey.select().where(ActionKey.key.in_(keys)):
        at = row.at if isinstance(row.at, dt.datetime) else dt.datetime.fromisoformat(
            str(row.at))
        local = at.replace(tzinfo=dt.UTC).astimezone(crm.tz)
        found[row.key.removeprefix(KEY_PREFIX)] = (local.strftime("%Y-%m-%d %H:%M"), row.actor)
    return found


def import_opening(crm: CRM, actor: Actor, paths: Sequence[str | Path], *,
                   as_of: dt.date | None = None,
                   controls: Mapping[tuple[str, str], int] | None = None,
                   dry_run: bool = False, accept_differences: bool = False) -> OpeningReport:
    """Import opening balances from ``paths`` (CSV or XLSX) as of ``as_of``.

    Returns the report.  Raises :class:`OpeningRejected` (nothing written) when a
    row has a problem, or when an imported total differs from its control total
    or from the ledger and ``accept_differences`` is not set.  Files imported
    before are a replay: nothing is written and the report says when and by whom
    (a mix of imported and new files is refused).  ``dry_run``: every check and
    every write runs, then the transaction is rolled back.
    """
    crm.require(actor, PERMISSION)
    today = crm.today()
    as_of = inputs.check_date(as_of or today, field="as_of", kind="past", today=today)
    sources, read, control_grids, problems = read_sheets(crm, paths)
    given = dict(controls or {})
    for key, value in read_controls(crm, control_grids).items():
        if key in given and given[key] != value:
            raise ValidationError(f"the control total {key[1]} is given twice, differently")
        given[key] = value
    sheet_rows = tuple((r.source.name + (f":{r.worksheet}" if r.worksheet else ""),
                        r.sheet.name, len(r.rows)) for r in read)
    notes = [f"{r.source.name}: column(s) ignored: {', '.join(r.ignored)}"
             for r in read if r.ignored]
    base = OpeningReport(as_of=as_of, files=tuple(sources), sheets=sheet_rows,
                         notes=tuple(notes), dry_run=dry_run,
                         accepted_differences=accept_differences)
    previous = _previous(crm, sources)
    if previous:
        done = [s for s in sources if s.sha256 in previous]
        if len(done) < len(sources):
            shown = ", ".join(f"{s.name} (imported on {previous[s.sha256][0]} by "
                              f"{previous[s.sha256][1]})" for s in done)
            raise OpeningRejected(base, f"{shown} was already imported; import the other "
                                        "files without it")
        return attrs.evolve(base, replayed=True, previous=tuple(
            (s.name, *previous[s.sha256]) for s in sources))
    if not read:
        raise OpeningRejected(attrs.evolve(base, problems=tuple(problems)),
                              "no sheet of opening balances among the files"
                              + (f": {problems[0]}" if problems else ""))
    try:
        with crm.action("opening.import", actor, permission=PERMISSION):
            report = _run(crm, actor, base, read, problems, given, as_of, sources,
                          accept_differences)
            if dry_run:
                raise _RollBack(report)
            return report
    except _RollBack as rolled:
        return rolled.report


def _run(crm, actor, base: OpeningReport, read: list[ReadSheet], problems: list[Problem],
         given: dict, as_of: dt.date, sources: list[SourceFile],
         accept_differences: bool) -> OpeningReport:
    ctx = OpeningContext(crm=crm, actor=actor, as_of=as_of, files=tuple(sources),
                         problems=list(problems))
    by_name = {r.sheet.name: r for r in read}
    plans: dict[str, Any] = {}
    ordered = sheets(crm)
    for sheet in ordered:
        if sheet.name in by_name:
            plans[sheet.name] = sheet.check(crm, ctx, list(by_name[sheet.name].rows))
    for key in given:
        if key[0] not in by_name:
            ctx.problems.append(Problem("control totals", f"{key[1]} is given for the "
                                                          f"{key[0]} sheet, which is not "
                                                          "among the files"))
    if ctx.problems:
        report = attrs.evolve(base, problems=tuple(ctx.problems),
                              lines=_lines(ordered, by_name, ctx, given, {}))
        shown = "\n".join(f"  {p}" for p in ctx.problems[:SHOWN_PROBLEMS])
        more = len(ctx.problems) - SHOWN_PROBLEMS
        raise OpeningRejected(report, f"{len(ctx.problems)} problem(s); nothing was imported:"
                                      f"\n{shown}" + (f"\n  ... and {more} more" if more > 0
                                                      else ""))
    for sheet in ordered:
        sheet.write(crm, ctx, plans.get(sheet.name))
    ledger: dict[tuple[str, str], int] = {}
    for sheet in ordered:
        if sheet.name in by_name:
            for total, value in sheet.ledger_totals(crm, ctx, plans[sheet.name]).items():
                ledger[(sheet.name, total)] = value
    lines = _lines(ordered, by_name, ctx, given, ledger)
    report = attrs.evolve(base, lines=lines, notes=(*base.notes, *ctx.notes), written=True)
    if report.differences and not accept_differences:
        shown = "; ".join(f"{line.label}: imported {_plain(crm, line, line.imported)}, "
                          + (f"control {_plain(crm, line, line.control)}"
                             if line.control is not None and line.control != line.imported
                             else f"ledger {_plain(crm, line, line.ledger)}")
                          for line in report.differences)
        raise OpeningRejected(attrs.evolve(report, written=False),
                              f"the totals do not reconcile ({shown}); nothing was imported. "
                              "Correct the files or the control totals, or import with "
                              "--accept-differences")
    for source in sources:
        with crm.action("opening.import", actor, key=KEY_PREFIX + source.sha256) as act:
            act.done(file=source.name, as_of=as_of.isoformat(),
                     sheets=[name for f, name, _ in base.sheets if f.split(":")[0] ==
                             source.name],
                     differences=[line.total for line in report.differences])
    return report


def _plain(crm, line: ReconLine, value: int | None) -> str:
    if value is None:
        return "-"
    return crm.format_money(crm.ledger_money(value)) if line.money else str(value)


def _lines(ordered: list[OpeningSheet], by_name: dict[str, ReadSheet], ctx: OpeningContext,
           given: dict, ledger: dict) -> tuple[ReconLine, ...]:
    return tuple(
        ReconLine(sheet=sheet.name, total=total.name, label=total.label, money=total.money,
                  imported=ctx.totals.get((sheet.name, total.name), 0),
                  control=given.get((sheet.name, total.name)),
                  ledger=ledger.get((sheet.name, total.name)))
        for sheet in ordered if sheet.name in by_name for total in sheet.totals)


# --- helpers for sheets ------------------------------------------------------------


def opening_account(crm: CRM) -> str:
    """The organisation's ``equity.opening`` account (opened if new)."""
    return crm.ledger.open_account(EQUITY_ACCOUNT, type="equity", name="Opening balances")


def duplicates(ctx: OpeningContext, rows: Iterable[tuple[SheetRow, str | None]],
               column: str, what: str) -> set[str]:
    """Report values of ``column`` repeated within the sheet (naming both rows);
    the values seen more than once."""
    first: dict[str, SheetRow] = {}
    repeated = set()
    for row, value in rows:
        if value is None:
            continue
        if value in first:
            ctx.problem(row, column, f"{what} {value} is also on row {first[value].line}")
            repeated.add(value)
        else:
            first[value] = row
    return repeated


__all__ = [
    "CONTROL_NAMES", "EQUITY_ACCOUNT", "PERMISSION", "Column", "OpeningContext",
    "OpeningRejected", "OpeningReport", "OpeningSheet", "Problem", "ReconLine", "SheetRow",
    "SourceFile", "Total", "control_file", "duplicates", "import_opening", "normalise",
    "opening_account", "parse_controls", "read_sheets", "sheets",
]
