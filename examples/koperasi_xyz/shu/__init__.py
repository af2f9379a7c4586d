"""Plugin ``koperasi_xyz.shu``: the year-end surplus (SHU) of Koperasi XYZ.

Commands (group ``dyncrm shu``): ``enter`` the year's SHU, ``compute`` a draft,
``approve`` it after the RAT (treasurer and chair), ``post`` it once,
``issue-slips`` (the members' slips, archived as issued: :mod:`.issued`),
``status``, ``report`` and a member's ``slip`` (the issued one, once issued);
``purchases import`` brings in a business unit's sales per member for jasa usaha by
purchases.  The arithmetic is in
:mod:`koperasi_xyz.shu.calc`, the bases in :mod:`koperasi_xyz.shu.bases`, the
actions in :mod:`koperasi_xyz.shu.service`.
"""

from __future__ import annotations

import click

from dyncrm import hookimpl, params
from dyncrm.cli import examples, json_option, pass_actor, subgroup
from dyncrm.errors import ValidationError
from dyncrm.output import action, emit, kv, says_result, table, write_csv
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Permission

# Every koperasi_xyz plugin brings the deployment's language: catalogue and filters.
from koperasi_xyz.translations import (  # noqa: F401  (the language hooks)
    dyncrm_prepare_jinja2_environment,
    dyncrm_translations,
)

from ..fmt import rupiah
from ..models import SHU_MODELS, ShuApproval
from .calc import distribution_to_dict
from .chart import dyncrm_chart_accounts  # noqa: F401  (hook)
from .report import (
    csv_columns,
    member_columns,
    member_rows,
    pool_rows,
    report_pdf_file,
    slip_pdf_file,
    summary_pairs,
    unit_rows,
)
from .rules import PLUGIN, ShuSettings
from .service import approve, compute, current, enter_surplus, locked, member_share, post, year_row

YEAR = click.option("--year", type=params.YEAR, required=True, help="The fiscal year (tahun buku).")
#: What ``shu compute`` says of where its amount came from.
SOURCES = {
    "books": "SHU {year} from the closed books (the year's result)",
    "override": "SHU {year} as entered, overriding the closed books (see: dyncrm shu status)",
    "typed": "SHU {year} as entered before the books were closed",
    "what-if": "SHU {year}: a what-if figure (--amount), nothing recorded",
}


STAFF = frozenset({"admin", "secretary", "treasurer", "cashier", "credit_committee"})

spec = PluginSpec(
    PLUGIN,
    web="koperasi_xyz.shu.web:dyncrm_web",
    package="koperasi_xyz",
    settings=ShuSettings,
    models=SHU_MODELS,
    migrations="shu/migrations",
    templates="templates",
    templates_first=True,  # the deployment's Indonesian texts override generic ones
    commands="koperasi_xyz.shu:register_commands",
    permissions=[
        Permission("shu.view", STAFF, "see SHU drafts, the SHU report and members' slips"),
        Permission("shu.enter", frozenset({"treasurer", "admin"}),
                   "enter the year's SHU as closed in the books"),
        Permission("shu.post", frozenset({"treasurer", "admin"}),
                   "post the approved SHU to members and funds"),
        Permission("shu.issue", frozenset({"treasurer", "secretary", "admin"}),
                   "issue the members' SHU slips of a posted year (archived as issued)"),
    ],
)
spec.export(globals())


def write_share_receipts(crm, year: int, folder, *, copy: bool) -> list:
    """Write the receipt of every member's SHU share of ``year`` into ``folder``
    (``<number>.pdf`` each, mode 0600); returns the paths."""
    from pathlib import Path

    from dyncrm.db.models import JournalEntry

    ids = [e.id for e in JournalEntry.select(JournalEntry.id).where(
        JournalEntry.kind == "shu.distribution",
        JournalEntry.key.startswith(f"shu:{year}:"))]
    numbers = crm.receipts.for_entries(ids)
    return [crm.receipts.write_pdf(number, Path(folder) / f"{number}.pdf", copy=copy)
            for number in sorted(numbers.values())]


@hookimpl
def dyncrm_receipt_kinds(crm):
    """Each member's SHU share, paid into sukarela or payable in cash, gets a receipt."""
    from dyncrm.receipts import ReceiptKind

    return [ReceiptKind("shu.distribution", "SHU share payout", ("shu.distribution",),
                        "out")]


@hookimpl
def dyncrm_ledger_owners():
    """The SHU amount, shares and pools are corrected by ``shu enter`` / ``shu reverse``."""
    from .corrections import OWNERS

    return OWNERS


@hookimpl
def dyncrm_member_details(crm, member):
    """The member's share of the latest posted SHU, on the profile."""
    from ..models import ShuYear

    row = (ShuYear.select().where(ShuYear.status == "posted").order_by(ShuYear.year.desc())
           .first())
    if row is None:
        return None
    for line in row.snapshot["distribution"]["members"]:
        if line["member_id"] == member.id:
            total = line["jasa_modal"] + line["jasa_usaha"]
            shown = rupiah(crm, total, row.currency)
            if line.get("tax"):
                shown += (f" (PPh {rupiah(crm, line['tax'], row.currency)}, diterima "
                          f"{rupiah(crm, total - line['tax'], row.currency)})")
            return {f"SHU {row.year}": shown}
    return None


# --- commands ---------------------------------------------------------------------


def _show(crm, draft, as_json: bool, csv_path: str | None) -> None:
    if csv_path:
        from dyncrm.files import atomic_open

        with atomic_open(csv_path, "w", newline="", encoding="utf-8") as fh:
            from .report import csv_rows

            write_csv(csv_rows(draft), fh, csv_columns(draft))
    if as_json:
        emit({"status": draft.status, "locked": draft.locked, "currency": draft.currency,
                   "rules": draft.rules,
                   "distribution": distribution_to_dict(draft.distribution)})
        return
    kv(dict(summary_pairs(crm, draft)))
    click.echo()
    table([{k: r[k] for k in ("alokasi", "persen", "jumlah", "akun")}
           for r in pool_rows(crm, draft)], align_right=["persen", "jumlah"])
    for note in draft.distribution.notes:
        click.echo(f"catatan: {note}")
    if draft.rules.get("units"):
        click.echo()
        table([{k: r[k] for k in ("unit", "dasar", "persen", "transaksi", "jumlah")}
               for r in unit_rows(crm, draft)], align_right=["persen", "transaksi", "jumlah"])
    click.echo()
    columns = member_columns(draft)
    table(member_rows(crm, draft), columns, align_right=columns[2:],
          empty="(no eligible members)")
    if csv_path:
        click.echo(f"wrote {csv_path}", err=True)


def register_commands(cli: click.Group) -> None:
    """``dyncrm shu``: enter, compute, approve and post the year's SHU; status, report, slip."""
    shu = subgroup(cli, "shu", help="Year-end surplus (SHU): enter, compute, approve, post.")

    @examples("dyncrm --as bendahara shu enter --year 2025", run=False)
    @shu.command("enter")
    @YEAR
    @click.option("--amount", type=params.AMOUNT,
                  help='Override the closed books\' result, e.g. "125.000.000" (needs '
                       '--reason).')
    @click.option("--reason", default="",
                  help="Why the SHU is not the closed year's result (kept in the audit trail).")
    @json_option
    @pass_actor
    @says_result
    def shu_enter(crm, actor, year, amount, reason, as_json: bool):
        """Record the year's SHU: the closed year's result in the books, or an override."""
        result = enter_surplus(crm, year, crm.money(amount) if amount else None, actor,
                               reason=reason)
        text = crm.format_money(result.amount)
        if result.replayed:
            click.echo(f"SHU {year} already recorded as {text}; nothing changed")
        elif result.replaced is not None:
            click.echo(f"SHU {year} changed from {crm.format_money(result.replaced)} to {text}")
        else:
            click.echo(f"recorded SHU {year}: {text}")
        return {"replayed": result.replayed, "year": year, "amount": result.amount}

    @examples("dyncrm --as bendahara shu compute --year 2025", run=False)
    @shu.command("compute")
    @YEAR
    @click.option("--amount", type=params.AMOUNT,
                  help="Compute with this SHU instead of the entered one.")
    @click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
                  help="Also write the per-member table as CSV.")
    @json_option
    @pass_actor
    def shu_compute(crm, actor, year, amount, csv_path, as_json):
        """A draft of the year's distribution from live data (refused once approved)."""
        crm.require(actor, "shu.view")
        draft = compute(crm, year, crm.money(amount) if amount else None)
        if not as_json:
            click.echo(SOURCES.get(draft.source, draft.source).format(year=year))
        _show(crm, draft, as_json, csv_path)

    @examples("dyncrm --as ketua shu approve --year 2025", run=False)
    @shu.command("approve")
    @YEAR
    @click.option("--rat-date", type=params.DATE,
                  help="Date of the RAT that decided the SHU.")
    @json_option
    @pass_actor
    @says_result
    def shu_approve(crm, actor, year, rat_date, as_json: bool):
        """Approve the year's SHU after the RAT: treasurer and chair, two people."""
        result = approve(crm, year, actor, rat_date=rat_date)
        if result.superseded:
            click.echo(f"the figures changed since {', '.join(result.superseded)} approved; "
                       "their approval no longer counts")
        if result.approved:
            click.echo(f"SHU {year} approved as {result.capacity}: the year is locked; "
                       f"post it with: dyncrm shu post --year {year}")
        else:
            click.echo(f"approved SHU {year} as {result.capacity}; "
                       f"still needs {result.waiting_for}")

    @examples("dyncrm --as bendahara shu post --year 2025")
    @shu.command("post")
    @YEAR
    @click.option("--on", "on", type=params.DATE,
                  help="Booking date (default: today).")
    @click.option("--receipts", "receipts_dir", type=click.Path(file_okay=False),
                  help="Write each member's receipt (PDF) into this folder.")
    @json_option
    @pass_actor
    @says_result
    def shu_post(crm, actor, year, on, receipts_dir, as_json: bool):
        """Post the approved SHU to members and funds, exactly once."""
        result = post(crm, year, actor, on=on)
        if receipts_dir:
            written = write_share_receipts(crm, year, receipts_dir, copy=result.replayed)
            click.echo(f"{len(written)} {'copies of receipts' if result.replayed else 'receipts'}"
                       f" written to {receipts_dir}", err=True)
        if result.replayed:
            click.echo(f"SHU {year} was already posted on {result.on}: nothing was posted "
                       "again")
            return
        withheld = (f" (PPh {rupiah(crm, result.tax_total)} withheld to payable.tax.pph_shu, "
                    f"{rupiah(crm, result.members_total - result.tax_total)} paid net)"
                    if result.tax_total else "")
        click.echo(f"posted SHU {year}: {result.members} members, "
                   f"{rupiah(crm, result.members_total)} to members{withheld} "
                   f"({'simpanan sukarela' if result.payout == 'sukarela' else 'payable'}), "
                   f"{rupiah(crm, result.pools_total)} to reserve and funds")
        click.echo(crm.t("issue the members' slips with: dyncrm shu issue-slips --year "
                         "{year}", year=year), err=True)

    @examples("dyncrm --as bendahara shu issue-slips --year 2025")
    @shu.command("issue-slips")
    @YEAR
    @click.option("--dir", "folder", type=click.Path(file_okay=False),
                  help="Also write every member's slip (PDF) into this folder.")
    @json_option
    @pass_actor
    @says_result
    def shu_issue_slips(crm, actor, year, folder, as_json: bool):
        """Issue the members' SHU slips of a posted year: archive them as issued, once.

        From then on 'dyncrm shu slip', the members' download in the portal and
        'dyncrm archive reprint' give each slip as it was issued, byte for byte.
        """
        import contextlib
        import sys

        from dyncrm import archive as archived_files

        from .issued import issue, issued_on

        with contextlib.ExitStack() as bars:
            bar = None

            def rendered(count: int, total: int) -> None:
                nonlocal bar
                if bar is None:  # the year is posted and not issued yet: slips are made
                    bar = bars.enter_context(click.progressbar(
                        length=total, label=crm.t("Making slips"), file=sys.stderr))
                bar.update(1)

            done = issue(crm, actor, year, progress=rendered)
        if folder:
            from pathlib import Path

            for f in done.archived.files:
                if f.media_type == "application/pdf":
                    archived_files.reprint(crm, f, Path(folder) / f.name)
            click.echo(f"{done.count} slips written to {folder}", err=True)
        files = sorted(f.id for f in done.archived.files)
        where = (f"archive {files[0]}–{files[-1]} ('dyncrm archive list --kind shu.slips "
                 f"--key {year}')")
        if done.replayed:
            click.echo(crm.t(
                "the SHU slips of {year} were already issued on {date} by {user} ({count} "
                "slips); nothing was issued again. As issued: {where}", year=year,
                date=crm.locale.date(issued_on(crm, done)), user=done.archived.created_by,
                count=done.count, where=where))
            return
        click.echo(crm.t("issued the SHU slips of {year}: {count} slips, archived as issued: "
                         "{where}", year=year, count=done.count, where=where))

    purchases = subgroup(shu, "purchases", help="Members' purchases in a business unit "
                         "(jasa usaha by purchases).")

    @examples("dyncrm --as bendahara shu purchases import --year 2025 belanja-2025.csv", run=False)
    @purchases.command("import")
    @YEAR
    @click.option("--unit", default=None,
                  help="The business unit (needed when several share by purchases).")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @json_option
    @pass_actor
    @says_result
    def purchases_import(crm, actor, year, unit, file, as_json: bool):
        """Import a CSV of members' purchases (nomor_anggota, jumlah): all lines or none;
        the same file again imports nothing."""
        from .purchases import import_purchases

        done = import_purchases(crm, actor, file, year=year, unit=unit)
        if done.replayed:
            click.echo(f"this file was already imported on {done.imported_at} ({done.lines} "
                       f"lines, {rupiah(crm, done.total)} for {done.unit} {year}); nothing "
                       "was imported again")
            return
        click.echo(f"imported purchases of {done.unit} {year}: {done.lines} lines, "
                   f"{done.members} members, {rupiah(crm, done.total)}")

    @examples("dyncrm --as bendahara shu purchases list --year 2025")
    @purchases.command("list")
    @YEAR
    @json_option
    @pass_actor
    def purchases_list(crm, actor, year, as_json):
        """The purchases files imported for the year."""
        from .purchases import purchase_files

        crm.require(actor, "shu.view")
        rows = [{"file": f.filename, "unit": f.unit, "lines": f.lines,
                 "total": f.total if as_json else rupiah(crm, f.total),
                 "imported_by": f.imported_by, "imported_at": str(f.imported_at)[:19],
                 "sha256": f.sha256[:12]} for f in purchase_files(year)]
        if as_json:
            emit(rows)
            return
        table(rows, align_right=["lines", "total"], empty=f"(no purchases imported for {year})")

    @examples("dyncrm --as bendahara shu unpost --year 2025 --reason \"fund percentages "
              "copied wrongly from the RAT\"")
    @shu.command("unpost")
    @YEAR
    @click.option("--reason", required=True, help="Why the posting is taken back.")
    @click.option("--key", default=None,
                  help="Idempotency key (default: shu:YEAR:unpost:ROUND).")
    @json_option
    @pass_actor
    def shu_unpost(crm, actor, year, reason, key, as_json: bool):
        """Take back the year's SHU posting (every share and the pools); approved again."""
        from .corrections import unpost

        action(as_json, unpost(crm, actor, year, reason=reason, key=key).describe())

    @examples("dyncrm --as bendahara shu reverse 812 --reason \"share paid twice\"", run=False)
    @shu.command("reverse")
    @click.argument("entry_id", type=int)
    @click.option("--reason", required=True, help="Why the posting is taken back.")
    @click.option("--key", default=None,
                  help="Idempotency key (default: shu:YEAR:unpost:ROUND).")
    @json_option
    @pass_actor
    def shu_reverse(crm, actor, entry_id, reason, key, as_json: bool):
        """Correct an SHU entry: a share or the pools takes back the whole year's posting."""
        from .corrections import reverse_entry

        action(as_json, reverse_entry(crm, actor, entry_id, reason=reason, key=key).describe())

    @examples("dyncrm --as bendahara shu status --year 2025")
    @shu.command("status")
    @YEAR
    @json_option
    @pass_actor
    def shu_status(crm, actor, year, as_json):
        """Where the year's SHU stands: entered, approvals, posted."""
        crm.require(actor, "shu.view")
        row = year_row(year)
        approvals = [{"user": a.username, "as": a.capacity, "at": a.at,
                      "counts": bool(row and a.digest == row.digest)}
                     for a in ShuApproval.select().where(ShuApproval.year == year)
                     .order_by(ShuApproval.id)]
        from .books import books_amount, source_of

        books = books_amount(crm, year)
        source = source_of(crm, row.entry_id) if row else {}
        info = {"year": year, "status": row.status if row else "not entered",
                "amount": rupiah(crm, row.amount) if row else "",
                "source": source.get("source", ""), "reason": source.get("reason", ""),
                "books": crm.format_money(books) if books is not None else "year not closed",
                "entered by": row.entered_by if row else "",
                "rat date": row.rat_date if row else None,
                "posted on": row.posted_on if row else None}
        if as_json:
            emit({**info, "approvals": approvals})
            return
        kv(info)
        if approvals:
            click.echo()
            table(approvals)

    @examples("dyncrm --as bendahara shu report --year 2025")
    @shu.command("report")
    @YEAR
    @click.option("--csv", "csv_path", type=click.Path(dir_okay=False),
                  help="Write the per-member table as CSV.")
    @click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False),
                  help="Write the printable report as PDF.")
    @json_option
    @pass_actor
    def shu_report(crm, actor, year, csv_path, pdf_path, as_json):
        """The SHU report: the locked figures once approved, else a draft."""
        crm.require(actor, "shu.view")
        draft = current(crm, year)
        if pdf_path:
            report_pdf_file(crm, draft, pdf_path)
            click.echo(f"wrote {pdf_path}", err=True)
        _show(crm, draft, as_json, csv_path)

    @examples("dyncrm --as anggota1 shu slip --year 2025 XYZ-2025-00003 --pdf slip-shu-2025.pdf")
    @shu.command("slip")
    @YEAR
    @click.argument("member_ref", metavar="MEMBER")
    @click.option("--pdf", "pdf_path", type=click.Path(dir_okay=False),
                  help="Write the slip as PDF (default: slip-shu-YEAR-NUMBER.pdf).")
    @json_option
    @pass_actor
    @says_result
    def shu_slip(crm, actor, year, member_ref, pdf_path, as_json: bool):
        """A member's SHU slip as PDF (members may print their own once approved)."""
        info = crm.member(member_ref)
        if actor.member_id == info.id:
            draft = locked(crm, year)
            line = next((m for m in draft.distribution.members if m.member_id == info.id),
                        None)
        else:
            crm.require(actor, "shu.view")
            draft, line = member_share(crm, year, info.id)
        if line is None:
            raise ValidationError(f"member {info.number} does not share in SHU {year} "
                                  "(not a member at the close of the year)")
        path = pdf_path or f"slip-shu-{year}-{info.number or info.id}.pdf"
        from .issued import issued, issued_on

        slips = issued(crm, year) if draft.locked else None
        kept = slips.slip_of(info.id) if slips is not None else None
        if kept is not None:  # issued: the slip as it was handed out, byte for byte
            from dyncrm import archive as archived_files

            archived_files.reprint(crm, kept, path)
            click.echo(f"wrote {path}: {info.name}, SHU {year} {rupiah(crm, line.total)} "
                       + crm.t("(the slip as issued on {date}, archive {id})",
                               date=crm.locale.date(issued_on(crm, slips)), id=kept.id))
            return
        slip_pdf_file(crm, draft, line, path)
        click.echo(f"wrote {path}: {info.name}, SHU {year} {rupiah(crm, line.total)}")
