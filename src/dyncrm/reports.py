"""Reports plugins contribute through ``dyncrm_reports``: named builders, and what they build.

A plugin returns :class:`ReportBuilder` values from the ``dyncrm_reports`` hook.
A builder has a name (``visits``), a one-line title for ``--help``, the
permission a person needs to see it, the options it understands, and
``build(crm, options)`` returning a :class:`Report`: a title, the period or date
it covers, summary lines and sections of rows under :class:`ReportColumn`
headings.  The deployment's report command renders every builder's report the
same way — as a terminal table, CSV and a printable PDF — and includes it when
it writes all reports at once (Koperasi XYZ: ``dyncrm laporan NAME`` and
``dyncrm laporan semua``).

Display rows carry formatted text (``Rp 1.250.000``); each section may also keep
raw rows (whole amounts, ISO dates) that CSV writes, so a spreadsheet can compute
with them.  A report's CSV holds its data rows only; the summary lines and the
summary sections (totals per product, a matrix) are written to a CSV of their own
(:meth:`Report.summary_csv_rows`).  The core only collects and checks builders;
:mod:`dyncrm.books.render` renders a report as a terminal table, CSV and PDF.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import pluggy

from dyncrm.errors import PluginError

if TYPE_CHECKING:
    from dyncrm.app import CRM

#: Options every report command knows; a builder names those it uses.
#: ``as_of`` is one date (``--as-of``), ``period`` two (``--from``, ``--to``),
#: ``month`` the first day of a month (``--month YYYY-MM``), ``year`` a year.
STANDARD_OPTIONS = ("as_of", "period", "month", "year")
OPTION_TYPES = ("text", "int", "flag")
_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
_OPTION_NAME = re.compile(r"[a-z][a-z0-9_]{0,29}")


def _one_of(allowed: tuple[str, ...]) -> Callable[[Any, Any, Any], None]:
    def check(_instance: Any, attribute: Any, value: Any) -> None:
        if value not in allowed:
            raise ValueError(f"{attribute.name} must be one of {', '.join(allowed)}, "
                             f"not {value!r}")

    return check


@attrs.frozen
class ReportColumn:
    """A column: the key in the row dicts, its printed title, alignment and relative width."""

    key: str
    title: str
    align: str = attrs.field(default="L", validator=_one_of(("L", "R", "C")))
    width: float = 1.0  # relative share of the page width (layout, not money)


@attrs.frozen
class ReportSection:
    """One table of a report, with an optional heading and totals row.

    ``rows`` are shown (text as it should read); ``raw`` rows, when given, are
    what CSV writes instead: plain values (amounts without grouping or symbol —
    whole rupiah for IDR — plain decimals, ISO dates).  ``columns`` default to the
    report's columns.  A ``summary`` section (totals per product, a matrix of
    counts) is shown like any other but belongs
    to the report's summary: its raw rows go to the summary CSV, not among the
    data rows (:meth:`Report.csv_rows`, :meth:`Report.summary_csv_rows`).
    """

    rows: tuple[Mapping[str, Any], ...] = attrs.field(converter=tuple)
    raw: tuple[Mapping[str, Any], ...] = attrs.field(default=(), converter=tuple)
    heading: str = ""
    totals: Mapping[str, Any] | None = None
    columns: tuple[ReportColumn, ...] = attrs.field(default=(), converter=tuple)
    summary: bool = False

    @property
    def data(self) -> tuple[Mapping[str, Any], ...]:
        """What CSV writes of this section: the raw rows, or the shown ones if none."""
        return self.raw or self.rows


@attrs.frozen
class Report:
    """A whole report, as a builder returns it and every writer renders it.

    ``summary`` holds ``(label, text)`` lines as they are shown (``("Jumlah
    simpanan", "Rp 13.600.000")``); ``summary_values`` the same lines' plain values
    by label (``("Jumlah simpanan", 13600000)``: plain amounts, plain decimals,
    counts) for the summary CSV; a label without a plain value is written as its text.
    """

    name: str
    title: str
    subtitle: str = ""
    columns: tuple[ReportColumn, ...] = attrs.field(default=(), converter=tuple)
    sections: tuple[ReportSection, ...] = attrs.field(default=(), converter=tuple)
    summary: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=tuple)
    notes: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    landscape: bool = False
    signatures: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=tuple)
    summary_values: tuple[tuple[str, Any], ...] = attrs.field(default=(), converter=tuple)

    def csv_rows(self) -> list[dict[str, Any]]:
        """The data rows: the raw rows of every section that is not a summary (the shown
        rows where a section keeps no raw rows).  No totals, no summary lines."""
        out: list[dict[str, Any]] = []
        for section in self.sections:
            if not section.summary:
                out.extend(dict(row) for row in section.data)
        return out

    @property
    def has_summary(self) -> bool:
        """Whether the report has summary lines or summary sections."""
        return bool(self.summary) or any(s.summary for s in self.sections)

    def summary_csv_rows(self, *, part: str = "part", label: str = "label",
                         value: str = "value", heading: str = "Summary"
                         ) -> list[dict[str, Any]]:
        """The summary as rows for its own CSV: one per summary line (``part`` is
        ``heading``, then its ``label`` and plain ``value``), then the raw rows of each
        summary section with ``part`` set to the section's heading."""
        plain = dict(self.summary_values)
        out: list[dict[str, Any]] = [{part: heading, label: text, value: plain.get(text, shown)}
                                     for text, shown in self.summary]
        for section in self.sections:
            if section.summary:
                out.extend({part: section.heading, **row} for row in section.data)
        return out


@attrs.frozen
class ReportOption:
    """An option of one plugin's report: ``--NAME`` (underscores become hyphens).

    ``type`` is ``text``, ``int`` or ``flag`` (an on/off switch: ``True`` when
    given); the value reaches the builder as ``options.get(name)`` (``None`` when
    not given, unless ``required``).
    """

    name: str = attrs.field()
    help: str
    type: str = attrs.field(default="text", validator=_one_of(OPTION_TYPES))
    required: bool = False

    @name.validator
    def _check_name(self, _attribute: Any, value: str) -> None:
        if not _OPTION_NAME.fullmatch(value) or value in (*STANDARD_OPTIONS, "since", "until"):
            raise ValueError(f"report option name {value!r} must be a lower-case identifier "
                             f"and not one of the standard options {STANDARD_OPTIONS}")

    @property
    def flag(self) -> str:
        """The command-line flag, e.g. ``--department``."""
        return "--" + self.name.replace("_", "-")


@attrs.frozen
class ReportOptions:
    """What a report is asked for; the report command fills in the dates.

    ``as_of`` and ``until`` default to today, ``since`` to 1 January of
    ``until``'s year; ``month`` (first day) and ``year`` are ``None`` unless
    given; ``extra`` holds the values of the builder's own options by name.
    """

    as_of: dt.date
    since: dt.date
    until: dt.date
    month: dt.date | None = None
    year: int | None = None
    extra: Mapping[str, Any] = attrs.field(factory=dict)

    def get(self, name: str, default: Any = None) -> Any:
        """A standard option or one of the builder's own by name."""
        if name in ("as_of", "since", "until", "month", "year"):
            return getattr(self, name)
        value = self.extra.get(name)
        return default if value is None else value

    @classmethod
    def on(cls, today: dt.date, **given: Any) -> ReportOptions:
        """Options with the dates not ``given`` (or given as ``None``) filled in from ``today``."""
        until = given.pop("until", None) or today
        since = given.pop("since", None) or until.replace(month=1, day=1)
        as_of = given.pop("as_of", None) or today
        month, year = given.pop("month", None), given.pop("year", None)
        return cls(as_of=as_of, since=since, until=until, month=month, year=year,
                   extra=dict(given))


@attrs.frozen
class ReportBuilder:
    """A named report a plugin offers (hook ``dyncrm_reports``).

    :param name: the command name and the file name stem (``laporan-<name>.pdf``):
        lower-case letters, digits and hyphens.
    :param title: one line saying what the report shows (``--help``).
    :param build: ``build(crm, options)`` returns a :class:`Report`; it reads
        only, with a fixed number of grouped queries whatever the number of members.
    :param permission: what a person needs to see it (declare it in
        ``dyncrm_permissions``).
    :param options: the standard options it uses (:data:`STANDARD_OPTIONS`) and
        :class:`ReportOption` values of its own.
    :param required: standard options that must be given (``month``, ``year``).
    :param include: ``include(crm, options)`` says whether "all reports" writes
        it (e.g. only when the plugin it reads is enabled); by default every
        builder whose ``required`` options are given is included.
    :param description: more help text below the title.
    """

    name: str = attrs.field()
    title: str
    build: Callable[[CRM, ReportOptions], Report]
    permission: str
    options: tuple[str | ReportOption, ...] = attrs.field(default=("as_of",), converter=tuple)
    required: frozenset[str] = attrs.field(default=frozenset(), converter=frozenset)
    include: Callable[[CRM, ReportOptions], bool] | None = None
    description: str = ""
    plugin: str = ""  #: filled in by :func:`collect`

    @name.validator
    def _check_name(self, _attribute: Any, value: str) -> None:
        if not _NAME.fullmatch(value):
            raise ValueError(f"report name {value!r} must be 1 to 40 lower-case letters, "
                             "digits and hyphens, starting with a letter or digit")

    @options.validator
    def _check_options(self, _attribute: Any, value: tuple) -> None:
        for option in value:
            if not isinstance(option, ReportOption) and option not in STANDARD_OPTIONS:
                raise ValueError(f"report option {option!r} is neither a ReportOption nor one "
                                 f"of {STANDARD_OPTIONS}")

    @required.validator
    def _check_required(self, _attribute: Any, value: frozenset) -> None:
        unknown = value - {"month", "year"}
        if unknown or not value <= set(self.options):
            raise ValueError(f"required options {sorted(value)} must be among the builder's "
                             "standard options month and year")

    @property
    def own_options(self) -> tuple[ReportOption, ...]:
        """The builder's own options (not the standard ones)."""
        return tuple(o for o in self.options if isinstance(o, ReportOption))

    def wanted(self, crm: CRM, options: ReportOptions) -> bool:
        """Whether "all reports" includes this one for ``options``."""
        if any(getattr(options, name) is None for name in self.required):
            return False
        return True if self.include is None else bool(self.include(crm, options))


def collect(pm: pluggy.PluginManager) -> dict[str, ReportBuilder]:
    """Every enabled plugin's report builders by name, in plugin order.

    :raises PluginError: naming the plugin when it returns something that is not
        a :class:`ReportBuilder`, or two plugins (or one twice) offer the same name.
    """
    found: dict[str, ReportBuilder] = {}
    for impl in pm.hook.dyncrm_reports.get_hookimpls():
        plugin = impl.plugin_name
        for builder in impl.function() or ():
            if not isinstance(builder, ReportBuilder):
                raise PluginError(f"returned {type(builder).__name__} "
                                  f"{builder!r:.60}; each item must be a "
                                  "dyncrm.reports.ReportBuilder", plugin=plugin,
                                  hook="dyncrm_reports")
            if builder.name in found:
                other = found[builder.name].plugin
                raise PluginError(f"offers the report {builder.name!r}, which plugin "
                                  f"{other!r} offers already; rename one", plugin=plugin,
                                  hook="dyncrm_reports")
            found[builder.name] = attrs.evolve(builder, plugin=plugin)
    return found


def build(crm: CRM, builder: ReportBuilder, options: ReportOptions) -> Report:
    """Run ``builder`` for ``options``; a result that is not a :class:`Report` blames its plugin."""
    report = builder.build(crm, options)
    if not isinstance(report, Report):
        raise PluginError(f"report {builder.name!r} built {type(report).__name__}, not a "
                          "dyncrm.reports.Report", plugin=builder.plugin or None,
                          hook="dyncrm_reports")
    return report
