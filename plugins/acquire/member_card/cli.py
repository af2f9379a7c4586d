"""``dyncrm card …`` commands of acquire.member_card."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dyncrm import output
from dyncrm.cli import examples, json_option, pass_actor, subgroup
from dyncrm.errors import DyncrmError
from dyncrm_acquire.member_card import card_files
from dyncrm_acquire.member_card.cards import cards_for, issue, settings, verify
from dyncrm_acquire.member_card.pdf import sheet_pdf, style_for


def _write(path: Path, data: bytes) -> None:
    from dyncrm.files import write_atomic

    write_atomic(path, data)


def register(cli: click.Group) -> None:
    """Add the ``card`` group: print, sheet, reissue, verify."""
    card = subgroup(cli, "card", "Member cards: print, batch sheets, reissue, verify.")

    @examples("dyncrm --as sekretaris card print XYZ-2025-00003 --out kartu-XYZ-2025-00003.pdf")
    @card.command("print")
    @click.argument("member_ref", metavar="MEMBER")
    @click.option("--out", type=click.Path(dir_okay=False),
                  help="File to write (default: card-<number>.pdf or .png).")
    @click.option("--png", is_flag=True, help="Write a PNG image instead of a PDF "
                  "(needs pypdfium2: pip install 'dyncrm[png]').")
    @json_option
    @pass_actor
    def print_cmd(crm, actor, member_ref, out, png, as_json: bool):
        """Print MEMBER's card (ID-1 size) to a PDF or PNG file."""
        data_card, data = card_files(crm, member_ref, actor, png=png)
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in data_card.number)
        path = Path(out or f"card-{safe}.{'png' if png else 'pdf'}")
        _write(path, data)
        output.action(as_json, f"wrote card #{data_card.serial} of {data_card.number} "
                   f"({data_card.name}) to {path}")

    @examples("dyncrm --as sekretaris card sheet --out kartu-semua.pdf")
    @card.command("sheet")
    @click.option("--stage", default="active", show_default=True,
                  type=click.Choice(["active", "leaving"]), help="Whose cards to print.")
    @click.option("--out", required=True, type=click.Path(dir_okay=False),
                  help="PDF file to write.")
    @json_option
    @pass_actor
    def sheet_cmd(crm, actor, stage, out, as_json: bool):
        """Print the cards of all members in a stage, ten per A4 page."""
        cards = cards_for(crm, actor, stage=stage)
        with click.progressbar(length=len(cards), label="Cards", file=sys.stderr) as bar:
            data = sheet_pdf(cards, style_for(crm, settings(crm)), bar.update)
        _write(Path(out), data)
        count = len(cards)
        pages = -(-count // 10)
        output.action(as_json, f"wrote {count} cards on {pages} "
                               f"page{'s' if pages != 1 else ''} to {out}",
                      cards=count, pages=pages, path=str(out))

    @examples("dyncrm --as sekretaris card reissue XYZ-2025-00003 --reason \"card lost\"")
    @card.command("reissue")
    @click.argument("member_ref", metavar="MEMBER")
    @click.option("--reason", default="", help="Why (lost, damaged, name changed...).")
    @json_option
    @pass_actor
    def reissue_cmd(crm, actor, member_ref, reason, as_json: bool):
        """Issue MEMBER a new card; older cards verify as superseded from now on."""
        serial = issue(crm, member_ref, actor, reason=reason)
        number = crm.member(member_ref).number
        output.action(as_json, f"issued card #{serial} to {number}; print it with: "
                               f"dyncrm card print {member_ref}",
                      serial=serial, member=number)

    @examples("dyncrm --as sekretaris card verify \"DYNCRM1.XYZ-2025-00003.1.c2lnbmF0dXJl\"",
              run=False)
    @card.command("verify")
    @click.argument("payload")
    @json_option
    @pass_actor
    def verify_cmd(crm, actor, payload, as_json):
        """Check the text of a scanned card's QR code: valid, superseded or invalid.

        Prints the verdict; exits 0 only for a valid card (1 otherwise, with the
        verdict on stderr too).
        """
        crm.require(actor, "cards.verify")
        result = verify(crm, payload)
        who = f" - {result.number} {result.name}" if result.name else ""
        verdict = f"{result.status.upper()}{who}: {result.reason}"
        if as_json:
            output.emit(result)
        elif result.status == "valid":
            click.echo(verdict)
        if result.status != "valid":
            raise CardNotValid(verdict)


class CardNotValid(DyncrmError):
    """A scanned card that is superseded or invalid (the CLI exits 1)."""
