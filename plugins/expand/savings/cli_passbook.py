"""``dyncrm savings passbook``: a member's passbook (buku simpanan) as a PDF."""

from __future__ import annotations

from pathlib import Path

import click

from dyncrm import output
from dyncrm.cli import examples, json_option, pass_actor
from dyncrm.params import DATE


@examples("dyncrm --as anggota1 savings passbook XYZ-2025-00003 --out buku-tabungan.pdf")
@click.command("passbook")
@click.argument("member_ref", metavar="MEMBER")
@click.option("--type", "products", multiple=True, metavar="PRODUCT",
              help="Only this savings type (pokok, wajib, sukarela); repeatable.")
@click.option("--from", "since", type=DATE, metavar="YYYY-MM-DD",
              help="Start of the period (default: since joining).")
@click.option("--to", "until", type=DATE, metavar="YYYY-MM-DD",
              help="End of the period (default: today).")
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="Write the PDF here.")
@json_option
@pass_actor
def passbook_cmd(crm, actor, member_ref, products, since, until, out, as_json: bool):
    """Print MEMBER's passbook: every savings type with its running balance (PDF)."""
    from dyncrm.dates import as_date
    from dyncrm_expand.savings.passbook import passbook, write_passbook

    book = passbook(crm, actor, member_ref, products=list(products) or None,
                    since=as_date(since), until=as_date(until))
    target = write_passbook(crm, book, Path(out))
    moves = sum(len(s.lines) for s in book.sections)
    output.action(as_json, f"passbook of {book.member_number or book.member_id} "
                           f"{book.member_name} ({moves} movements) written to {target}",
                  member=book.member_number or book.member_id, movements=moves,
                  path=str(target))
