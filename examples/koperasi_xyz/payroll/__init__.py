"""Plugin ``koperasi_xyz.payroll``: payroll deduction (potong gaji) for Koperasi XYZ.

Commands (group ``dyncrm payroll``): ``list`` the month's deduction list as the
records stand today (terminal, ``--csv``, ``--xlsx``, ``--pdf``), ``send`` it to
the payroll office (archived as sent, :mod:`koperasi_xyz.payroll.sent`; later
sends write the archived files again), ``import`` the payroll office's
confirmation file (checked against the list as sent), ``batches`` imported so
far.  The list is computed in :mod:`koperasi_xyz.payroll.listing`, exported by
:mod:`koperasi_xyz.payroll.export` and imported by
:mod:`koperasi_xyz.payroll.importer`.
"""

from __future__ import annotations

import click

from dyncrm import archive
from dyncrm.cli import examples, json_option, pass_actor, subgroup
from dyncrm.output import action, emit, local_day, local_time, table
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Permission

# Every koperasi_xyz plugin brings the deployment's language: catalogue and filters.
from koperasi_xyz.translations import (  # noqa: F401  (the language hooks)
    dyncrm_prepare_jinja2_environment,
    dyncrm_translations,
)

from ..fmt import amount_plain, rupiah
from ..models import PAYROLL_MODELS
from .export import AMOUNT_COLUMNS, rows, write_csv, write_pdf, write_xlsx
from .importer import PayrollFileRejected, batches, import_confirmation
from .listing import PLUGIN, PayrollSettings, deduction_list, parse_month, settings_of
from .sent import send as send_list
from .sent import sent as sent_list

MONTH = click.option("--month", required=True, help="The month, YYYY-MM (e.g. 2026-03).")


STAFF = frozenset({"admin", "secretary", "treasurer", "cashier", "credit_committee"})

spec = PluginSpec(
    PLUGIN,
    web="koperasi_xyz.payroll.web:dyncrm_web",
    package="koperasi_xyz",
    settings=PayrollSettings,
    models=PAYROLL_MODELS,
    migrations="payroll/migrations",
    templates="templates",
    templates_first=True,  # the deployment's Indonesian texts override generic ones
    commands="koperasi_xyz.payroll:register_commands",
    permissions=[
        Permission("payroll.view", STAFF, "see and export the payroll deduction list"),
        Permission("payroll.send", frozenset({"treasurer", "secretary"}),
                   "send the month's deduction list to the payroll office (archived as sent)"),
        Permission("payroll.import", frozenset({"treasurer"}),
                   "post the payroll office's confirmation of what was deducted"),
    ],
    requires=("acquire.registration", "expand.savings", "expand.loans"),
)
spec.export(globals())


def _terminal_rows(crm, dlist) -> list[dict]:
    out = []
    for row, line in zip(rows(dlist), dlist.lines, strict=True):
        out.append({"departemen": row["departemen"], "nik": row["nik_karyawan"],
                    "nomor": row["nomor_anggota"], "nama": row["nama"],
                    "wajib": rupiah(crm, line.wajib + line.wajib_arrears),
                    "angsuran": rupiah(crm, line.installments + line.loan_arrears),
                    "jumlah": rupiah(crm, line.total),
                    "gaji bersih": "" if line.take_home_pay is None
                    else rupiah(crm, line.take_home_pay),
                    "catatan": line.flag})
    return out


def _note_sent(crm, dlist) -> None:
    """Under a live list: whether (and what) the month's list was sent."""
    done = sent_list(crm, dlist.month)
    if done is None:
        click.echo(f"the list of {dlist.label} is not sent yet: 'dyncrm payroll send --month "
                   f"{dlist.label}' archives it as sent", err=True)
        return
    day = local_day(done.archived.created_at, crm.tz)
    click.echo(f"this is the list as the records stand today; the list sent on {day} totals "
               f"{rupiah(crm, done.dlist.total)} ('dyncrm payroll send --month {dlist.label} "
               "--pdf FILE' reprints it)", err=True)


def register_commands(cli: click.Group) -> None:
    """``dyncrm payroll``: the month's deduction list, its import, the batches imported."""
    payroll = subgroup(cli, "payroll", help="Payroll deduction (potong gaji): list and import.")

    @examples("dyncrm --as bendahara payroll list --month 2025-12")
    @payroll.command("list")
    @MONTH
    @click.option("--department", help="Only this department.")
    @click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
                  help="Write the list as CSV for the payroll office.")
    @click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False),
                  help="Write the list as an XLSX workbook (needs openpyxl).")
    @click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False),
                  help="Write the list as a printable PDF.")
    @json_option
    @pass_actor
    def payroll_list(crm, actor, month, department, csv_path, xlsx_path, pdf_path, as_json):
        """The month's payroll deduction list (daftar potongan gaji), by department."""
        crm.require(actor, "payroll.view")
        dlist = deduction_list(crm, parse_month(month), department=department)
        if csv_path:
            write_csv(dlist, csv_path, delimiter=settings_of(crm).csv_delimiter)
            click.echo(f"wrote {csv_path}", err=True)
        if xlsx_path:
            write_xlsx(crm, dlist, xlsx_path)
            click.echo(f"wrote {xlsx_path}", err=True)
        if pdf_path:
            write_pdf(crm, dlist, pdf_path)
            click.echo(f"wrote {pdf_path}", err=True)
        if as_json:
            emit({"month": dlist.label, "payday": dlist.payday,
                  "cap_percent": str(dlist.cap_percent), "total": crm.ledger_money(dlist.total),
                  "lines": [{k: crm.ledger_money(v) if k in AMOUNT_COLUMNS and isinstance(v, int)
                             else v for k, v in row.items()} for row in rows(dlist)]})
            return
        table(_terminal_rows(crm, dlist), align_right=["wajib", "angsuran", "jumlah",
                                                       "gaji bersih"],
              empty="(no active members)")
        flagged = sum(1 for x in dlist.lines if x.flag)
        click.echo(f"{len(dlist.lines)} members, total {rupiah(crm, dlist.total)}, payday "
                   f"{dlist.payday.isoformat()}; {flagged} line(s) to check")
        _note_sent(crm, dlist)

    @examples("dyncrm --as bendahara payroll send --month 2026-01 --csv "
              "potongan-2026-01.csv --pdf potongan-2026-01.pdf")
    @payroll.command("send")
    @MONTH
    @click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
                  help="Write the list sent, as CSV for the payroll office.")
    @click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False),
                  help="Write the list sent, as a printable PDF.")
    @json_option
    @pass_actor
    def payroll_send(crm, actor, month, csv_path, pdf_path, as_json: bool):
        """Send the month's list to the payroll office: archive it as sent, write its files.

        The first send archives the list as the records stand; every later send (and
        'dyncrm laporan potongan') gives back that archived list byte for byte.
        """
        done = send_list(crm, actor, parse_month(month))
        for fmt, path in (("csv", csv_path), ("pdf", pdf_path)):
            if path:
                archive.reprint(crm, done.file(fmt), path)
                click.echo(f"wrote {path}", err=True)
        dlist, when = done.dlist, done.archived
        ids = ", ".join(f"{f.id} {f.name}" for f in when.files)
        if done.replayed:
            message = (f"the list of {dlist.label} was sent on "
                       f"{local_time(when.created_at)} by {when.created_by} "
                       f"({len(dlist.lines)} members, {rupiah(crm, dlist.total)}); nothing was "
                       f"archived again. Archived as sent: {ids}")
        else:
            message = (f"the list of {dlist.label} is sent: {len(dlist.lines)} members, "
                       f"{rupiah(crm, dlist.total)}, payday {dlist.payday.isoformat()}; "
                       f"archived as sent: {ids}")
        action(as_json, message, replayed=done.replayed, month=dlist.label,
               members=len(dlist.lines), total=crm.ledger_money(dlist.total),
               payday=dlist.payday, sent_at=when.created_at, sent_by=when.created_by,
               archived=[{"id": f.id, "name": f.name} for f in when.files])

    @examples("dyncrm --as bendahara payroll import "
              "potong-gaji/konfirmasi-potongan-2025-12.csv --batch HRD-2025-12 --month "
              "2025-12 --dry-run",
              run=False)
    @payroll.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--batch", required=True, help="The payroll office's batch id.")
    @MONTH
    @click.option("--dry-run", is_flag=True, help="Check the file; post nothing.")
    @json_option
    @pass_actor
    def payroll_import(crm, actor, file, batch, month, dry_run, as_json: bool):
        """Post the payroll office's confirmation FILE (CSV), all lines or none."""
        try:
            report = import_confirmation(crm, actor, file, batch=batch,
                                         month=parse_month(month), dry_run=dry_run)
        except PayrollFileRejected as exc:
            if as_json:  # the error envelope names the problem; the lines are for people
                raise
            table([{"line": x.line_no, "nik": x.employee_number, "member": x.number or "",
                    "amount": amount_plain(crm, x.amount), "problem": x.reason}
                   for x in exc.report.mismatches], align_right=["amount"], out=None)
            raise
        total = rupiah(crm, report.total)
        skipped = [x for x in report.lines if x.status == "not_deducted"]
        if as_json:
            posted = sum(1 for x in report.lines if x.status == "posted")
            emit({"batch": batch, "lines": len(report.lines), "posted": posted,
                  "total": crm.ledger_money(report.total), "dry_run": report.dry_run,
                  "not_deducted": [x.employee_number for x in skipped],
                  "missing": list(report.missing)},
                 message=f"batch {batch}: {posted} lines posted, {total}",
                 replayed=report.replayed)
            return
        if skipped:
            click.echo(f"not deducted (dues stay open): "
                       f"{', '.join(x.employee_number for x in skipped)}")
        if report.missing:
            click.echo(f"on the list but not in the file (dues stay open): "
                       f"{', '.join(report.missing)}")
        if report.replayed:
            click.echo(f"batch {batch} was already imported ({len(report.lines)} lines, "
                       f"{total}); nothing was posted again")
        elif report.dry_run:
            click.echo(f"batch {batch}: all {len(report.lines)} lines match ({total}); "
                       "nothing posted (dry run)")
        else:
            posted = sum(1 for x in report.lines if x.status == "posted")
            click.echo(f"batch {batch}: posted {posted} lines, {total}")

    @examples("dyncrm --as bendahara payroll batches")
    @payroll.command("batches")
    @json_option
    @pass_actor
    def payroll_batches(crm, actor, as_json):
        """Confirmation files imported so far."""
        crm.require(actor, "payroll.view")
        data = [{"batch": b.batch, "month": b.period, "lines": b.posted_lines,
                 "total": crm.ledger_money(b.posted_total), "by": b.imported_by,
                 "at": b.imported_at} for b in batches()]
        if as_json:
            emit(data)
        else:
            table([{**r, "total": crm.format_money(r["total"])} for r in data],
                  align_right=["total"])
