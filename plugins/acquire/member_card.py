"""Plugin ``acquire.member_card``: printable member cards with a signed QR code.

``dyncrm card print`` makes one ID-1 card (PDF, or PNG with the optional
``pypdfium2``: ``pip install 'dyncrm[png]'``); ``dyncrm card sheet`` puts ten
cards on each A4 page for batch printing; ``dyncrm card reissue`` replaces a
lost card so the old one verifies as superseded; ``dyncrm card verify``
checks a scanned QR text.  Labels follow the organisation's locale
(Indonesian for ``id_ID``) and can be changed in the config.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from dyncrm import hookimpl, output
from dyncrm.cli import json_option, pass_actor, subgroup
from dyncrm.errors import DyncrmError
from dyncrm.values import Permission
from dyncrm_acquire import package_dir
from dyncrm_acquire.card_pdf import card_pdf, sheet_pdf, style_for, to_png
from dyncrm_acquire.cards import (
    PLUGIN,
    CardCheck,
    CardData,
    cards_for,
    issue,
    settings,
    sign,
    verify,
)
from dyncrm_acquire.settings import CardSettings

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import Actor, MemberInfo

DYNCRM_REQUIRES = ("acquire.registration",)

__all__ = ["CardCheck", "CardData", "card_files", "cards_for", "issue", "sheet_file", "sign",
           "verify"]


def card_files(crm: CRM, member_ref: int | str, actor: Actor, *, png: bool = False
               ) -> tuple[CardData, bytes]:
    """The card of one member as PDF bytes (or PNG bytes with ``png``)."""
    member = crm.member_row(member_ref)
    [card] = cards_for(crm, actor, member_ids=[member.id])
    conf = settings(crm)
    pdf = card_pdf(card, style_for(crm, conf))
    return card, (to_png(pdf, conf.png_dpi)[0] if png else pdf)


def sheet_file(crm: CRM, actor: Actor, *, stage: str = "active",
               progress: Callable[[int], None] | None = None) -> tuple[int, bytes]:
    """An A4 PDF with the cards of every numbered member in ``stage``: (count, bytes)."""
    cards = cards_for(crm, actor, stage=stage)
    return len(cards), sheet_pdf(cards, style_for(crm, settings(crm)), progress)


@hookimpl
def dyncrm_config_schema():
    return {PLUGIN: CardSettings}


@hookimpl
def dyncrm_migrations():
    return (PLUGIN, package_dir("migrations", "member_card"))


@hookimpl
def dyncrm_register_models():
    from dyncrm_acquire.models import CARD_MODELS

    return CARD_MODELS


@hookimpl
def dyncrm_permissions():
    return [
        Permission("cards.print", frozenset({"secretary", "admin"}),
                   "print and reissue member cards"),
        Permission("cards.verify", frozenset({"admin", "secretary", "treasurer", "cashier",
                                              "credit_committee"}),
                   "check a scanned member card"),
    ]


@hookimpl
def dyncrm_member_details(crm: CRM, member: MemberInfo) -> dict[str, Any] | None:
    from dyncrm_acquire.models import CardRow

    row = (CardRow.select().where(CardRow.member == member.id)
           .order_by(CardRow.serial.desc()).first())
    if row is None:
        return None
    return {"Member card": f"#{row.serial}, issued {crm.locale.date(row.issued_at)}"}


def _write(path: Path, data: bytes) -> None:
    from dyncrm.files import write_atomic

    write_atomic(path, data)


@hookimpl
def dyncrm_register_commands(cli):
    card = subgroup(cli, "card", "Member cards: print, batch sheets, reissue, verify.")

    @card.command("print")
    @click.argument("member_ref", metavar="MEMBER")
    @click.option("--out", type=click.Path(dir_okay=False),
                  help="File to write (default: card-<number>.pdf or .png).")
    @click.option("--png", is_flag=True, help="Write a PNG image instead of a PDF "
                  "(needs pypdfium2: pip install 'dyncrm[png]').")
    @pass_actor
    def print_cmd(crm, actor, member_ref, out, png):
        """Print MEMBER's card (ID-1 size) to a PDF or PNG file."""
        data_card, data = card_files(crm, member_ref, actor, png=png)
        safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in data_card.number)
        path = Path(out or f"card-{safe}.{'png' if png else 'pdf'}")
        _write(path, data)
        click.echo(f"wrote card #{data_card.serial} of {data_card.number} "
                   f"({data_card.name}) to {path}")

    @card.command("sheet")
    @click.option("--stage", default="active", show_default=True,
                  type=click.Choice(["active", "leaving"]), help="Whose cards to print.")
    @click.option("--out", required=True, type=click.Path(dir_okay=False),
                  help="PDF file to write.")
    @pass_actor
    def sheet_cmd(crm, actor, stage, out):
        """Print the cards of all members in a stage, ten per A4 page."""
        cards = cards_for(crm, actor, stage=stage)
        with click.progressbar(length=len(cards), label="Cards", file=sys.stderr) as bar:
            data = sheet_pdf(cards, style_for(crm, settings(crm)), bar.update)
        _write(Path(out), data)
        count = len(cards)
        pages = -(-count // 10)
        click.echo(f"wrote {count} cards on {pages} page{'s' if pages != 1 else ''} to {out}")

    @card.command("reissue")
    @click.argument("member_ref", metavar="MEMBER")
    @click.option("--reason", default="", help="Why (lost, damaged, name changed...).")
    @pass_actor
    def reissue_cmd(crm, actor, member_ref, reason):
        """Issue MEMBER a new card; older cards verify as superseded from now on."""
        serial = issue(crm, member_ref, actor, reason=reason)
        click.echo(f"issued card #{serial} to {crm.member(member_ref).number}; print it with: "
                   f"dyncrm card print {member_ref}")

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
            output.emit_json(result)
        elif result.status == "valid":
            click.echo(verdict)
        if result.status != "valid":
            raise CardNotValid(verdict)


class CardNotValid(DyncrmError):
    """A scanned card that is superseded or invalid (the CLI exits 1)."""
