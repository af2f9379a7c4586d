"""``dyncrm loan agreement``: the loan agreement (perjanjian pinjaman) as a PDF."""

from __future__ import annotations

from pathlib import Path

import click

from dyncrm import output
from dyncrm.cli import examples, json_option, pass_actor


@examples("dyncrm --as bendahara loan agreement 1 --out perjanjian-1.pdf")
@click.command("agreement")
@click.argument("loan_id", metavar="LOAN", type=int)
@click.option("--out", type=click.Path(dir_okay=False), required=True,
              help="Write the PDF here.")
@json_option
@pass_actor
def agreement_cmd(crm, actor, loan_id, out, as_json: bool):
    """Print the agreement of LOAN: its terms, full schedule and signature blocks (PDF)."""
    from dyncrm_expand.loans.agreement import agreement, write_agreement

    doc = agreement(crm, actor, loan_id)
    target = write_agreement(crm, doc, Path(out))
    note = " (schedule as if paid out today)" if doc.preview else ""
    output.action(as_json, f"agreement of loan {doc.loan.id} ({len(doc.rows)} installments"
                           f"{note}) written to {target}",
                  loan_id=doc.loan.id, installments=len(doc.rows), preview=doc.preview,
                  path=str(target))
