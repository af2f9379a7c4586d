"""The member card in the web portal: a member downloads their own card as PDF.

The card is the one ``dyncrm card print`` makes (same data, same layout);
the first download issues the member's first card.
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, send_file

from dyncrm import hookimpl
from dyncrm.errors import ValidationError
from dyncrm.web import WebExtension
from dyncrm.web.guards import actor, crm, member_only, own_member_id
from dyncrm_acquire.member_card import card_files

blueprint = Blueprint("cards", __name__, url_prefix="/card")


@blueprint.route("/my-card.pdf")
@member_only
def own():
    """The signed-in member's card as a PDF (only their own)."""
    try:
        card, data = card_files(crm(), own_member_id(), actor())
    except ValidationError:  # not (or no longer) a member with a card
        abort(404)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"member-card-{card.number}.pdf")


@hookimpl
def dyncrm_web(crm):
    """The member card download (linked from the member's profile page)."""
    return WebExtension(blueprint=blueprint)
