"""``dyncrm receipt``: find receipts and print copies; ``--receipt`` for money commands.

Every command that moves money takes :func:`receipt_option` and, after its action
committed, calls :func:`print_receipt` with the entry it posted: the receipt's PDF
is written to the path given (or ``<number>.pdf`` in the current folder). The
original is printed only by the run that moved the money; a replay of the same
action (same reference) prints the same receipt marked as a copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from dyncrm import output, params
from dyncrm.cli import cli, examples, json_option, pass_actor

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.receipts import ReceiptInfo
    from dyncrm.values import Actor

_META = "dyncrm.receipt_path"
_FROM_OPTION = object()


def receipt_option(f):
    """The ``--receipt [PATH]`` option of a command that moves money.

    The value is kept on the click context; the command calls :func:`print_receipt`
    with the entry it posted, after its action committed.
    """

    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
        ctx.meta[_META] = value

    return click.option(
        "--receipt", "receipt_path", is_flag=False, flag_value="", default=None,
        metavar="[PATH]", type=click.Path(dir_okay=False), expose_value=False,
        callback=remember,
        help="Write the receipt (PDF) to PATH (default: NUMBER.pdf here).")(f)


def receipt_target(receipt: ReceiptInfo, path: str) -> Path:
    """Where ``--receipt`` writes: ``path``, or ``<number>.pdf`` in the current folder."""
    return Path(path) if path else Path(f"{receipt.number}.pdf")


def receipt_number(crm: CRM, entry_id: int | None) -> str | None:
    """The receipt number of ledger entry ``entry_id`` (for a ``--json`` result), if any."""
    if entry_id is None:
        return None
    found = crm.receipts.for_entry(entry_id)
    return found.number if found is not None else None


def print_receipt(crm: CRM, entry_id: int | None, *, replayed: bool,
                  path: str | object | None = _FROM_OPTION) -> ReceiptInfo | None:
    """After a money command: write the receipt of ``entry_id`` if ``--receipt`` was given.

    ``path`` defaults to the value of the command's ``--receipt``.  Says on stderr
    where the receipt went (or that the movement has none yet); a replay prints a copy.
    """
    if path is _FROM_OPTION:
        ctx = click.get_current_context(silent=True)
        path = ctx.meta.get(_META) if ctx is not None else None
    if path is None:
        return None
    receipt = crm.receipts.for_entry(entry_id) if entry_id is not None else None
    if receipt is None:
        click.echo("no receipt: no money moved (yet) in this action", err=True)
        return None
    target = crm.receipts.write_pdf(receipt, receipt_target(receipt, str(path)), copy=replayed)
    what = "copy of receipt" if replayed else "receipt"
    click.echo(f"{what} {receipt.number} written to {target}", err=True)
    return receipt


@cli.group()
def receipt() -> None:
    """Receipts (kwitansi) of money movements: list them, print copies."""


@examples("dyncrm --as kasir receipt list --member XYZ-2025-00003")
@receipt.command("list")
@click.option("--member", "member_ref", metavar="MEMBER", help="Only this member's receipts.")
@click.option("--kind", help="Only this kind (savings.deposit, loans.repayment, ...).")
@click.option("--from", "since", type=params.DATE, metavar="YYYY-MM-DD",
              help="Movements on or after this day.")
@click.option("--to", "until", type=params.DATE, metavar="YYYY-MM-DD",
              help="Movements on or before this day.")
@click.option("--limit", type=params.COUNT, default=50, show_default=True,
              help="Show at most this many (newest first).")
@json_option
@pass_actor
def receipt_list(crm: CRM, actor: Actor, member_ref: str | None, kind: str | None, since,
                 until, limit: int, as_json: bool) -> None:
    """List receipts, newest first: number, date, member, kind and amount."""
    crm.require(actor, "receipts.view")
    member_id = crm.member_row(member_ref).id if member_ref else None
    if kind is not None:
        crm.receipts.kind(kind)  # an unknown kind is an error, not an empty list
    found = crm.receipts.list(member_id=member_id, kind=kind, since=since, until=until,
                              limit=limit)
    rows = [{"number": r.number, "date": r.effective_date.isoformat(),
             "member": r.member_number or "", "name": r.member_name, "kind": r.kind,
             "amount": crm.format_money(r.amount), "entry": r.entry_id} for r in found]
    if as_json:
        output.emit([{**row, "date": r.effective_date, "amount": r.amount}
                     for row, r in zip(rows, found, strict=True)])
        return
    if not rows:
        click.echo("no receipts")
        return
    output.table(rows, align_right=["amount", "entry"])


@examples("dyncrm --as kasir receipt reprint KW-2026-000002 --out kwitansi.pdf")
@receipt.command("reprint")
@click.argument("number")
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Write the PDF here (default: NUMBER-copy.pdf here).")
@json_option
@pass_actor
def receipt_reprint(crm: CRM, actor: Actor, number: str, out: str | None,
                    as_json: bool) -> None:
    """Print a copy of receipt NUMBER, marked as a copy (SALINAN)."""
    crm.require(actor, "receipts.view")
    found = crm.receipts.get(number)
    target = crm.receipts.write_pdf(found, out or f"{found.number}-copy.pdf", copy=True)
    output.action(as_json, f"copy of receipt {found.number} written to {target}",
                  receipt_number=found.number, path=str(target))
