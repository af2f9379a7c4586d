"""Receipts in the web portal: a member's own, any for staff holding ``receipts.view``.

``/receipts/`` lists them (members: their own; staff: the newest, or one member's with
``?member=NUMBER``), ``/receipts/<number>`` shows one as the deployment's receipt
template renders it, ``/receipts/<number>.pdf`` downloads it.  Receipts shown here
are copies (the original is printed when the money moves).  A receipt that is not
the signed-in member's, for someone without ``receipts.view``, does not exist (404):
its number tells nobody whether it is there.  Added to the portal by the core's own
``dyncrm_web`` (see :mod:`dyncrm.default_hooks`).
"""

from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file
from markupsafe import Markup

from dyncrm.errors import NotFoundError
from dyncrm.web.extension import MenuEntry, WebExtension
from dyncrm.web.guards import actor, can, crm, signed_in

blueprint = Blueprint("receipts", __name__, url_prefix="/receipts",
                      template_folder="templates")


def _visible(number: str):
    """The receipt ``number`` if the signed-in person may see it, else 404."""
    who = actor()
    try:
        found = crm().receipts.get(number)
    except NotFoundError:
        abort(404)
    own = who is not None and who.member_id is not None and who.member_id == found.member_id
    if not own and not can("receipts.view"):
        abort(404)
    return found


@blueprint.route("/")
@signed_in
def index():
    """The member's receipts, or for staff the newest (of one member with ``?member=``)."""
    c, who = crm(), actor()
    staff = can("receipts.view")
    member_ref = request.args.get("member", "").strip() if staff else ""
    if member_ref:
        member_id = c.member_row(member_ref).id
    elif staff:
        member_id = None
    elif who.member_id is not None:
        member_id = who.member_id
    else:
        abort(403)
    found = c.receipts.list(member_id=member_id, limit=200)
    return render_template("web/receipts/list.html", receipts=found, staff=staff,
                           member_ref=member_ref)


@blueprint.route("/<number>")
@signed_in
def show(number: str):
    """One receipt, as the deployment's template renders it (marked as a copy)."""
    found = _visible(number)
    # the document template is autoescaped (crm.templates), so its HTML is safe to embed
    html = Markup(crm().receipts.html(found, copy=True))
    return render_template("web/receipts/show.html", receipt=found, document=html)


@blueprint.route("/<number>.pdf")
@signed_in
def pdf(number: str):
    """One receipt as a PDF (a copy)."""
    found = _visible(number)
    data = crm().receipts.pdf(found, copy=True)
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{found.number}.pdf")


def extension(crm_) -> WebExtension:
    """What the core adds to the portal for receipts."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("My receipts", "receipts.index", audience="member", order=25),
              MenuEntry("Receipts", "receipts.index", audience="staff",
                        permission="receipts.view", order=25)])
