"""Plugin ``koperasi_xyz.reports``: the reports (laporan) of Koperasi XYZ.

``dyncrm laporan <name>`` prints a report as a table; ``--csv FILE`` writes its
rows for a spreadsheet and ``--pdf FILE`` a printable PDF with the
cooperative's header, the date or period, and page numbers.  The reports are
built in :mod:`koperasi_xyz.report_builders`.

==================  ===================================================  ==================
name                what                                                 date options
==================  ===================================================  ==================
anggota             member register with status on the date              ``--as-of``
anggota-baru        members who joined in a period, pokok paid           ``--from --to``
anggota-keluar      members who left or are leaving, refund status       ``--from --to``
simpanan            savings per member and per product                   ``--as-of``
pinjaman            loans outstanding, arrears, collectibility           ``--as-of``
                    (or one loan's schedule with ``--loan``)
potongan            payroll deduction list per department                ``--month``
kritik-saran        feedback: volume, service levels, satisfaction       ``--from --to``
shu                 SHU distribution of a fiscal year                    ``--year``
parkkim             touchpoints per member, phase × information type     ``--as-of``
semua               every report as PDF (and CSV) into a folder          all of the above
==================  ===================================================  ==================
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from dyncrm import hookimpl, params
from dyncrm.cli import json_option, pass_actor, subgroup
from dyncrm.output import emit_json
from dyncrm.values import Permission

# Every koperasi_xyz plugin brings the deployment's language: catalogue and filters.
from koperasi_xyz.translations import (  # noqa: F401  (the language hooks)
    dyncrm_prepare_jinja2_environment,
    dyncrm_translations,
)

from . import report_builders as rb
from . import templates_dir
from .laporan import Laporan, print_table, write_csv, write_pdf

DYNCRM_REQUIRES = ("acquire.registration", "expand.savings")
PLUGIN = "koperasi_xyz.reports"

DATE = params.DATE  # a business date within plausible bounds


@hookimpl(tryfirst=True)  # the deployment's Indonesian texts override generic ones
def dyncrm_template_dirs():
    return [templates_dir()]


@hookimpl
def dyncrm_permissions():
    return [Permission("reports.view",
                       frozenset({"admin", "secretary", "treasurer", "cashier",
                                  "credit_committee"}),
                       "print the cooperative's reports (laporan)")]


def _day(value) -> dt.date | None:
    return value.date() if isinstance(value, dt.datetime) else value


def _emit(crm, lap: Laporan, csv_path: str | None, pdf_path: str | None, as_json: bool) -> None:
    if csv_path:
        write_csv(lap, csv_path)
        click.echo(f"wrote {csv_path}", err=True)
    if pdf_path:
        write_pdf(crm, lap, pdf_path)
        click.echo(f"wrote {pdf_path}", err=True)
    if as_json:
        emit_json({"name": lap.name, "title": lap.title, "subtitle": lap.subtitle,
                   "summary": dict(lap.summary), "rows": lap.csv_rows()})
    else:
        print_table(lap)


def _outputs(f):
    f = json_option(f)
    f = click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False),
                     help="Write a printable PDF.")(f)
    return click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
                        help="Write the rows as CSV.")(f)


def _as_of(f):
    return click.option("--as-of", "as_of", type=DATE, help="The date (default: today).")(f)


def _period(f):
    f = click.option("--to", "until", type=DATE, help="Last day (default: today).")(f)
    return click.option("--from", "since", type=DATE,
                        help="First day (default: 1 January of this year).")(f)


def _span(crm, since, until) -> tuple[dt.date, dt.date]:
    until_d = _day(until) or crm.today()
    return _day(since) or until_d.replace(month=1, day=1), until_d


def all_reports(crm, folder: Path, *, as_of: dt.date, since: dt.date, until: dt.date,
                month: dt.date | None, year: int | None, csv: bool = True) -> list[Path]:
    """Write every report as PDF (and CSV) into ``folder``; returns the files written."""
    folder.mkdir(parents=True, exist_ok=True)
    built = [rb.member_list(crm, as_of), rb.new_members(crm, since, until),
             rb.leaving_members(crm, since, until), rb.savings_report(crm, as_of)]
    if crm.is_enabled("expand.loans"):
        built.append(rb.loan_report(crm, as_of))
    if crm.is_enabled("koperasi_xyz.payroll") and month is not None:
        built.append(rb.payroll_report(crm, month))
    if crm.is_enabled("retain.feedback"):
        built.append(rb.feedback_report(crm, since, until))
    if crm.is_enabled("koperasi_xyz.shu") and year is not None:
        from .shu_service import year_row

        if year_row(year) is not None:
            built.append(rb.shu_report(crm, year))
    built.append(rb.park_kim(crm, as_of))
    written = []
    for lap in built:
        written.append(write_pdf(crm, lap, folder / f"laporan-{lap.name}.pdf"))
        if csv:
            written.append(write_csv(lap, folder / f"laporan-{lap.name}.csv"))
    return written


@hookimpl
def dyncrm_register_commands(cli):
    laporan = subgroup(cli, "laporan", help="Reports (laporan): table, --csv, --pdf.")

    def allowed(crm, actor) -> None:
        crm.require(actor, "reports.view")

    @laporan.command("anggota")
    @_as_of
    @click.option("--department", help="Only this department.")
    @_outputs
    @pass_actor
    def anggota(crm, actor, as_of, department, csv_path, pdf_path, as_json):
        """Member register (buku daftar anggota) with each member's status on the date."""
        allowed(crm, actor)
        _emit(crm, rb.member_list(crm, _day(as_of) or crm.today(), department=department),
              csv_path, pdf_path, as_json)

    @laporan.command("anggota-baru")
    @_period
    @_outputs
    @pass_actor
    def anggota_baru(crm, actor, since, until, csv_path, pdf_path, as_json):
        """Members who joined in the period."""
        allowed(crm, actor)
        _emit(crm, rb.new_members(crm, *_span(crm, since, until)), csv_path, pdf_path, as_json)

    @laporan.command("anggota-keluar")
    @_period
    @_outputs
    @pass_actor
    def anggota_keluar(crm, actor, since, until, csv_path, pdf_path, as_json):
        """Members who left in the period or are leaving, with the refund status."""
        allowed(crm, actor)
        _emit(crm, rb.leaving_members(crm, *_span(crm, since, until)), csv_path, pdf_path,
              as_json)

    @laporan.command("simpanan")
    @_as_of
    @_outputs
    @pass_actor
    def simpanan(crm, actor, as_of, csv_path, pdf_path, as_json):
        """Savings per member and per product on the date."""
        allowed(crm, actor)
        _emit(crm, rb.savings_report(crm, _day(as_of) or crm.today()), csv_path, pdf_path,
              as_json)

    @laporan.command("pinjaman")
    @_as_of
    @click.option("--loan", "loan_id", type=int, help="One loan's schedule instead.")
    @_outputs
    @pass_actor
    def pinjaman(crm, actor, as_of, loan_id, csv_path, pdf_path, as_json):
        """Loans outstanding with arrears and collectibility (or --loan ID: its schedule)."""
        allowed(crm, actor)
        lap = rb.loan_schedule(crm, loan_id) if loan_id else \
            rb.loan_report(crm, _day(as_of) or crm.today())
        _emit(crm, lap, csv_path, pdf_path, as_json)

    @laporan.command("potongan")
    @click.option("--month", required=True, help="The month, YYYY-MM.")
    @_outputs
    @pass_actor
    def potongan(crm, actor, month, csv_path, pdf_path, as_json):
        """The payroll deduction list of a month (see also: dyncrm payroll list --xlsx)."""
        from .payroll_list import parse_month

        allowed(crm, actor)
        _emit(crm, rb.payroll_report(crm, parse_month(month)), csv_path, pdf_path, as_json)

    @laporan.command("kritik-saran")
    @_period
    @_outputs
    @pass_actor
    def kritik_saran(crm, actor, since, until, csv_path, pdf_path, as_json):
        """Feedback: tickets by category and month, service levels, satisfaction."""
        allowed(crm, actor)
        _emit(crm, rb.feedback_report(crm, *_span(crm, since, until)), csv_path, pdf_path,
              as_json)

    @laporan.command("shu")
    @click.option("--year", type=params.YEAR, required=True, help="The fiscal year.")
    @_outputs
    @pass_actor
    def shu(crm, actor, year, csv_path, pdf_path, as_json):
        """The SHU distribution of a fiscal year (locked once approved, else a draft)."""
        allowed(crm, actor)
        _emit(crm, rb.shu_report(crm, year), csv_path, pdf_path, as_json)

    @laporan.command("parkkim")
    @_as_of
    @_outputs
    @pass_actor
    def parkkim(crm, actor, as_of, csv_path, pdf_path, as_json):
        """Touchpoints per member by phase × information type (of / for / by)."""
        allowed(crm, actor)
        _emit(crm, rb.park_kim(crm, _day(as_of) or crm.today()), csv_path, pdf_path, as_json)

    @laporan.command("semua")
    @click.option("--dir", "folder", type=click.Path(file_okay=False), default="laporan",
                  show_default=True, help="Folder to write into.")
    @_as_of
    @_period
    @click.option("--month", help="Month of the payroll deduction list, YYYY-MM.")
    @click.option("--year", type=params.YEAR, help="Fiscal year of the SHU report.")
    @pass_actor
    def semua(crm, actor, folder, as_of, since, until, month, year):
        """Every report as PDF and CSV into a folder."""
        from .payroll_list import parse_month

        allowed(crm, actor)
        start, end = _span(crm, since, until)
        files = all_reports(crm, Path(folder), as_of=_day(as_of) or crm.today(), since=start,
                            until=end, month=parse_month(month) if month else None, year=year)
        for path in files:
            click.echo(str(path))
