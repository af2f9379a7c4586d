"""``dyncrm laporan``: one command per report of every enabled plugin, and ``semua``.

The reports come from the ``dyncrm_reports`` hook — Koperasi XYZ's own
(:mod:`koperasi_xyz.reports`) and any other enabled plugin's — so a plugin's
report is printed, written as CSV and PDF, and included in ``laporan semua``
exactly like the deployment's.  The commands are made from the builders when
the command line starts, without opening the database.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import attrs
import click

from dyncrm import output, params
from dyncrm.cli import examples, json_option, pass_actor, plugin_manager
from dyncrm.reports import ReportBuilder, ReportOptions, build, collect

from ..laporan import Laporan, print_table, summary_path, write_csvs, write_pdf
from .runner import FORMATS, file_bytes, file_name
from .runner import run as run_report

DATE = params.DATE  # a business date within plausible bounds


class MonthType(click.ParamType):
    """``YYYY-MM`` → the first day of that month."""

    name = "month"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.date:
        if isinstance(value, dt.date):
            return value
        from ..payroll.listing import parse_month

        return parse_month(str(value))


MONTH = MonthType()


def _day(value: Any) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def builders(crm) -> dict[str, ReportBuilder]:
    """Every enabled plugin's report builders by name (hook ``dyncrm_reports``)."""
    return collect(crm.pm)


def emit(crm, lap: Laporan, csv_path: str | None, pdf_path: str | None,
         as_json: bool) -> None:
    """Show a report: CSV and PDF files when asked, then JSON or the table.

    ``csv_path`` gets the data rows; the summary, when the report has one, goes
    beside it (``simpanan.csv`` → ``simpanan-ringkasan.csv``).
    """
    if csv_path:
        for path in write_csvs(lap, csv_path):
            click.echo(f"wrote {path}", err=True)
    if pdf_path:
        write_pdf(crm, lap, pdf_path)
        click.echo(f"wrote {pdf_path}", err=True)
    if as_json:
        output.emit(output.report_data(lap))
    else:
        print_table(lap)


def all_reports(crm, folder: Path, *, as_of: dt.date, since: dt.date, until: dt.date,
                month: dt.date | None, year: int | None, csv: bool = True,
                actor=None) -> list[Path]:
    """Write every report that applies as PDF (and CSV) into ``folder``; the files written.

    CSV means the data rows (``laporan-NAME.csv``) and, for a report with a summary,
    the summary (``laporan-NAME-ringkasan.csv``).

    Reports of every enabled plugin take part; one whose required option (month,
    year) is not given, or that does not apply (its plugin off, no SHU that
    year), is left out, and so is one ``actor`` (when given) may not see.
    """
    options = ReportOptions(as_of=as_of, since=since, until=until, month=month, year=year)
    chosen = [b for b in builders(crm).values() if b.wanted(crm, options)
              and (actor is None or crm.users.can(actor, b.permission))]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for builder in chosen:
        lap = build(crm, builder, options)
        written.append(write_pdf(crm, lap, folder / f"laporan-{lap.name}.pdf"))
        if csv:
            written.extend(write_csvs(lap, folder / f"laporan-{lap.name}.csv"))
    return written


def _outputs(f):
    f = click.option("--archive", "archive_it", is_flag=True,
                     help="Archive the report as handed over (to the RAT): its PDF and CSV "
                     "are kept as they are now; --pdf/--csv then write the archived files.")(f)
    f = json_option(f)
    f = click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False),
                     help="Write a printable PDF.")(f)
    return click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
                        help="Write the rows as CSV.")(f)


def _standard(f, name: str, required: bool):
    if name == "as_of":
        return click.option("--as-of", "as_of", type=DATE, help="The date (default: today).")(f)
    if name == "period":
        f = click.option("--to", "until", type=DATE, help="Last day (default: today).")(f)
        return click.option("--from", "since", type=DATE,
                            help="First day (default: 1 January of this year).")(f)
    if name == "month":
        return click.option("--month", type=MONTH, required=required,
                            help="The month, YYYY-MM.")(f)
    return click.option("--year", type=params.YEAR, required=required,
                        help="The fiscal year.")(f)


def archive_key(crm, given: dict[str, Any]) -> str:
    """The archive key of a report run with the options ``given``: its date, period,
    month or year and its own options (``2025``, ``2025-12``, ``2025-12-31``,
    ``2025-01-01..2025-12-31 loan=12``)."""
    from ..payroll.sent import label_of

    parts = []
    if given.get("year") is not None:
        parts.append(str(given["year"]))
    if given.get("month") is not None:
        parts.append(label_of(given["month"]))
    if given.get("since") is not None or given.get("until") is not None:
        until = given.get("until") or crm.today()
        since = given.get("since") or until.replace(month=1, day=1)
        parts.append(f"{since.isoformat()}..{until.isoformat()}")
    if "as_of" in given:
        parts.append((given.get("as_of") or crm.today()).isoformat())
    standard = {"year", "month", "since", "until", "as_of"}
    parts += [f"{k}={v}" for k, v in sorted(given.items()) if k not in standard and v]
    return " ".join(parts) or crm.today().isoformat()


def archive_report(crm, actor, lap: Laporan, key: str):
    """Archive ``lap`` as handed over (to the RAT): its PDF, CSV and summary CSV (when it has
    a summary), kind ``laporan.NAME``.

    Archiving the report again under the same key writes nothing and returns the
    files archived first (``replayed``): they are the report as it was handed over.
    """
    from dyncrm import archive

    kind = f"laporan.{lap.name}"
    found = archive.find(crm, kind, key)
    if found is not None:
        return attrs.evolve(found, replayed=True)
    documents = []
    for fmt, media in FORMATS.items():
        if fmt == "ringkasan" and not lap.has_summary:
            continue
        data, name = file_bytes(crm, lap, fmt)
        documents.append(archive.Document(name, data, media))
    with crm.action("laporan.archive", actor):
        return archive.seal(crm, actor, kind, key, documents,
                            meta={"title": lap.title, "subtitle": lap.subtitle})


#: Values for a report's required options in its ``--help`` example (the demo's year).
REQUIRED_EXAMPLE = {"month": "--month 2025-12", "year": "--year 2025"}


def report_command(builder: ReportBuilder) -> click.Command:
    """The ``laporan NAME`` command of one builder: its options, --csv, --pdf, --json,
    --archive."""

    @pass_actor
    def run(crm, actor, csv_path=None, pdf_path=None, as_json=False, archive_it=False,
            **given):
        given = {k: _day(v) for k, v in given.items()}
        lap = run_report(crm, actor, builder, given)
        if not archive_it:
            emit(crm, lap, csv_path, pdf_path, as_json)
            return
        from dyncrm import archive

        kept = archive_report(crm, actor, lap, archive_key(crm, given))
        for fmt, path in (("pdf", pdf_path), ("csv", csv_path),
                          ("ringkasan", csv_path and summary_path(csv_path))):
            if path and kept.has(file_name(lap, fmt)):
                archive.reprint(crm, kept.file(file_name(lap, fmt)), path)
                click.echo(f"wrote {path} (as archived)", err=True)
        emit(crm, lap, None, None, as_json)
        ids = ", ".join(f"{f.id} {f.name}" for f in kept.files)
        what = "was archived before, on " + str(kept.created_at)[:16] + " by " + \
            kept.created_by if kept.replayed else "is archived as handed over"
        click.echo(f"{kept.kind} {kept.key} {what}: {ids}", err=True)

    run.__doc__ = builder.title + (f"\n\n{builder.description}" if builder.description
                                   else "")
    f = _outputs(run)
    for option in reversed(builder.options):
        if isinstance(option, str):
            f = _standard(f, option, option in builder.required)
        elif option.type == "flag":
            f = click.option(option.flag, option.name, is_flag=True, default=None,
                             help=option.help)(f)
        else:
            f = click.option(option.flag, option.name, required=option.required,
                             type=int if option.type == "int" else str, help=option.help)(f)
    command = click.command(builder.name, help=run.__doc__)(f)
    required = "".join(f" {REQUIRED_EXAMPLE[name]}" for name in sorted(builder.required))
    return examples(f"dyncrm --as bendahara laporan {builder.name}{required}")(command)


class LaporanGroup(click.Group):
    """``laporan``: its own commands plus one per report builder of the enabled plugins."""

    def _reports(self, ctx: click.Context) -> dict[str, click.Command]:
        cache = ctx.find_root().meta.setdefault("koperasi_xyz.laporan", {})
        if "commands" not in cache:
            pm = plugin_manager(ctx)
            found = collect(pm) if pm is not None else {}
            clash = set(found) & set(self.commands)
            if clash:
                from dyncrm.errors import PluginError

                name = sorted(clash)[0]
                raise PluginError(f"offers the report {name!r}, but 'dyncrm laporan {name}' "
                                  "is a command already; rename the report",
                                  plugin=found[name].plugin, hook="dyncrm_reports")
            cache["commands"] = {name: report_command(b) for name, b in found.items()}
        return cache["commands"]

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self._reports(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.commands.get(cmd_name) or self._reports(ctx).get(cmd_name)


def register(cli: click.Group) -> click.Group:
    """Add the ``laporan`` group (with ``semua``) to ``cli``."""
    laporan = LaporanGroup("laporan", help="Reports (laporan): table, --csv, --pdf.")
    cli.add_command(laporan)

    @examples("dyncrm --as bendahara laporan semua --dir laporan-rat-2025 --as-of 2025-12-31 "
              "--year 2025", run=False)
    @laporan.command("semua")
    @click.option("--dir", "folder", type=click.Path(file_okay=False), default="laporan",
                  show_default=True, help="Folder to write into.")
    @click.option("--as-of", "as_of", type=DATE, help="The date (default: today).")
    @click.option("--from", "since", type=DATE,
                  help="First day (default: 1 January of this year).")
    @click.option("--to", "until", type=DATE, help="Last day (default: today).")
    @click.option("--month", type=MONTH, help="Month of the payroll deduction list, YYYY-MM.")
    @click.option("--year", type=params.YEAR, help="Fiscal year of the SHU report.")
    @json_option
    @pass_actor
    def semua(crm, actor, folder, as_of, since, until, month, year, as_json: bool):
        """Every report (of every enabled plugin) as PDF and CSV into a folder."""
        crm.require(actor, "reports.view")
        options = ReportOptions.on(crm.today(), as_of=_day(as_of), since=_day(since),
                                   until=_day(until))
        files = all_reports(crm, Path(folder), as_of=options.as_of, since=options.since,
                            until=options.until, month=month, year=year, actor=actor)
        if as_json:
            output.emit({"folder": str(folder), "files": [str(path) for path in files]},
                        message=f"wrote {len(files)} files to {folder}", replayed=False)
            return
        for path in files:
            click.echo(str(path))

    return laporan
