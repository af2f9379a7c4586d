"""Plugin ``acquire.member_card``: printable member cards with a signed QR code.

``dyncrm card print`` makes one ID-1 card (PDF, or PNG with the optional
``pypdfium2``: ``pip install 'dyncrm[png]'``); ``dyncrm card sheet`` puts ten
cards on each A4 page for batch printing; ``dyncrm card reissue`` replaces a
lost card so the old one verifies as superseded; ``dyncrm card verify``
checks a scanned QR text.  Labels follow the organisation's locale
(Indonesian for ``id_ID``) and can be changed in the config.

Logic: :mod:`dyncrm_acquire.member_card.cards` (signing, issuing, verifying) and
:mod:`dyncrm_acquire.member_card.pdf` (layout); commands:
:mod:`dyncrm_acquire.member_card.cli`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from dyncrm import hookimpl
from dyncrm.i18n import N_
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Permission
from dyncrm_acquire.member_card.cards import (
    PLUGIN,
    CardCheck,
    CardData,
    cards_for,
    issue,
    settings,
    sign,
    verify,
)
from dyncrm_acquire.member_card.pdf import card_pdf, sheet_pdf, style_for, to_png
from dyncrm_acquire.settings import CardSettings

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import Actor, MemberInfo


def DYNCRM_SECRET_FILES(crm: CRM) -> tuple[str, ...]:  # read by dyncrm init
    """``card-secret`` signs the cards when the settings give no ``secret``."""
    return () if settings(crm).secret else ("card-secret",)


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


spec = PluginSpec(
    PLUGIN,
    web="dyncrm_acquire.member_card.web:dyncrm_web",
    settings=CardSettings,
    models="dyncrm_acquire.models:CARD_MODELS",
    migrations="migrations",
    commands="dyncrm_acquire.member_card.cli:register",
    permissions=[
        Permission("cards.print", frozenset({"secretary", "admin"}),
                   "print and reissue member cards"),
        Permission("cards.verify", frozenset({"admin", "secretary", "treasurer", "cashier",
                                              "credit_committee"}),
                   "check a scanned member card"),
    ],
    requires=["acquire.registration"],
)
spec.export(globals())


@hookimpl
def dyncrm_member_details(crm: CRM, member: MemberInfo) -> dict[str, Any] | None:
    from dyncrm_acquire.models import CardRow

    row = (CardRow.select().where(CardRow.member == member.id)
           .order_by(CardRow.serial.desc()).first())
    if row is None:
        return None
    return {N_("Member card"): N_("#{serial}, issued {date}").format(
        serial=row.serial, date=crm.locale.date(row.issued_at))}
