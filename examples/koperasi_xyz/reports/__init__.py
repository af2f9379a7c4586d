"""Plugin ``koperasi_xyz.reports``: the reports (laporan) of Koperasi XYZ.

``dyncrm laporan <name>`` prints a report as a table; ``--csv FILE`` writes its
rows for a spreadsheet and ``--pdf FILE`` a printable PDF with the
cooperative's header, the date or period, and page numbers.  The reports are
built in :mod:`koperasi_xyz.reports.builders` and offered through the
``dyncrm_reports`` hook like any plugin's: ``laporan`` (in
:mod:`koperasi_xyz.reports.cli`) has a command for every enabled plugin's
report, and ``laporan semua`` writes them all.

==================  ===================================================  ==================
name                what                                                 date options
==================  ===================================================  ==================
anggota             member register with status on the date              ``--as-of``
anggota-baru        members who joined in a period, pokok paid           ``--from --to``
anggota-keluar      members who left or are leaving, refund status       ``--from --to``
simpanan            savings per member and per product                   ``--as-of``
pinjaman            loans outstanding, arrears, collectibility           ``--as-of``
                    (or one loan's schedule with ``--loan``)
potongan            payroll deduction list per department, as sent       ``--month``
                    (``--live``: from today's records)
kritik-saran        feedback: volume, service levels, satisfaction       ``--from --to``
shu                 SHU distribution of a fiscal year                    ``--year``
pph-shu             PPh withheld from members' SHU shares (gross, net)   ``--year``
parkkim             touchpoints per member, phase × information type     ``--as-of``
neraca              balance sheet (``--compare``: a year earlier too)    ``--as-of``
phu                 perhitungan hasil usaha (income statement)           ``--year`` or
                                                                         ``--from --to``
ekuitas             laporan perubahan ekuitas (changes in equity)        ``--year`` or
                                                                         ``--from --to``
semua               every report as PDF (and CSV) into a folder          all of the above
==================  ===================================================  ==================
"""

from __future__ import annotations

from dyncrm import hookimpl
from dyncrm.books.statements import report_builders as books_reports
from dyncrm.plugin_spec import PluginSpec
from dyncrm.reports import ReportBuilder, ReportOption
from dyncrm.values import Permission

# Every koperasi_xyz plugin brings the deployment's language: catalogue and filters.
from koperasi_xyz.translations import (  # noqa: F401  (the language hooks)
    dyncrm_prepare_jinja2_environment,
    dyncrm_translations,
)

from . import builders as rb
from .cli import all_reports  # noqa: F401  (where programs have found it)

PLUGIN = "koperasi_xyz.reports"
VIEW = "reports.view"


spec = PluginSpec(
    PLUGIN,
    web="koperasi_xyz.reports.web:dyncrm_web",
    package="koperasi_xyz",
    templates="templates",
    templates_first=True,  # the deployment's Indonesian texts override generic ones
    commands="koperasi_xyz.reports.cli:register",  # dyncrm laporan
    permissions=[Permission(VIEW, frozenset({"admin", "secretary", "treasurer", "cashier",
                                             "credit_committee"}),
                            "print the cooperative's reports (laporan)")],
    requires=("acquire.registration", "expand.savings"),
)
spec.export(globals())


def _enabled(plugin: str):
    return lambda crm, options: crm.is_enabled(plugin)


def _shu_applies(crm, options) -> bool:
    if not crm.is_enabled("koperasi_xyz.shu"):
        return False
    from ..shu.service import year_row

    return year_row(options.year) is not None


def _loans(crm, options):
    loan_id = options.get("loan")
    return rb.loan_schedule(crm, loan_id) if loan_id else rb.loan_report(crm, options.as_of)


@hookimpl
def dyncrm_reports():
    """The reports of Koperasi XYZ, in the order ``laporan semua`` writes them."""
    return [
        ReportBuilder(
            "anggota", "Member register (buku daftar anggota) with each member's status on "
            "the date.", lambda crm, o: rb.member_list(crm, o.as_of,
                                                       department=o.get("department")),
            VIEW, options=("as_of", ReportOption("department", "Only this department."))),
        ReportBuilder("anggota-baru", "Members who joined in the period.",
                      lambda crm, o: rb.new_members(crm, o.since, o.until), VIEW,
                      options=("period",)),
        ReportBuilder("anggota-keluar", "Members who left in the period or are leaving, "
                      "with the refund status.",
                      lambda crm, o: rb.leaving_members(crm, o.since, o.until), VIEW,
                      options=("period",)),
        ReportBuilder("simpanan", "Savings per member and per product on the date.",
                      lambda crm, o: rb.savings_report(crm, o.as_of), VIEW),
        ReportBuilder("pinjaman", "Loans outstanding with arrears and collectibility (or "
                      "--loan ID: its schedule).", _loans, VIEW,
                      options=("as_of", ReportOption("loan", "One loan's schedule instead.",
                                                     type="int")),
                      include=_enabled("expand.loans")),
        ReportBuilder("potongan", "The payroll deduction list of a month: the list as sent "
                      "to the payroll office once it was (dyncrm payroll send), else as the "
                      "records stand (see also: dyncrm payroll list --xlsx).",
                      lambda crm, o: rb.payroll_report(crm, o.month, live=bool(o.get("live"))),
                      VIEW, options=("month", ReportOption(
                          "live", "Compute the list from today's records, even for a month "
                          "whose list was sent.", type="flag")), required={"month"},
                      include=_enabled("koperasi_xyz.payroll")),
        ReportBuilder("kritik-saran", "Feedback: tickets by category and month, service "
                      "levels, satisfaction.",
                      lambda crm, o: rb.feedback_report(crm, o.since, o.until), VIEW,
                      options=("period",), include=_enabled("retain.feedback")),
        ReportBuilder("shu", "The SHU distribution of a fiscal year (locked once approved, "
                      "else a draft).", lambda crm, o: rb.shu_report(crm, o.year), VIEW,
                      options=("year",), required={"year"}, include=_shu_applies),
        ReportBuilder("pph-shu", "PPh withheld from each member's SHU share of a fiscal year "
                      "(gross, PPh, net).", lambda crm, o: rb.pph_shu_report(crm, o.year),
                      VIEW, options=("year",), required={"year"}, include=_shu_applies),
        ReportBuilder("parkkim", "Touchpoints per member by phase × information type (of / "
                      "for / by).", lambda crm, o: rb.park_kim(crm, o.as_of), VIEW),
        # the financial statements of dyncrm.books under their Indonesian names
        *books_reports({"balance_sheet": "neraca", "income_statement": "phu",
                        "changes_in_equity": "ekuitas"}, permission=VIEW),
    ]
