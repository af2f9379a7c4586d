"""The rewards pages of the web portal.

Members see their points, their tier, the history of their points and the
catalogue they can redeem from; staff holding ``rewards.view`` look up a
member's points by member number.
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from dyncrm import hookimpl
from dyncrm.errors import NotFoundError
from dyncrm.web import Card, MenuEntry, WebExtension
from dyncrm.web.guards import crm, member_only, own_member_id, staff_only
from dyncrm_expand import rewards

blueprint = Blueprint("rewards", __name__, url_prefix="/rewards", template_folder="templates")


def _summary(c, member_id: int) -> dict:
    """Points, tier and lifetime points of a member."""
    return {"points": int(rewards.balance(c, member_id).amount),
            "tier": rewards.tier(c, member_id).name,
            "earned": rewards.earned(c, member_id)}


def _history(c, member_id: int) -> list[dict]:
    """The member's points statement, newest first (the lines of ``dyncrm rewards statement``)."""
    return [{"date": ln["date"], "what": ln["memo"], "points": int(ln["amount"].amount),
             "balance": int(ln["balance"].amount)}
            for ln in reversed(rewards.statement(c, member_id))]


def _card(c, who) -> dict | None:
    if who.member_id is None:
        return None
    return _summary(c, who.member_id)


@blueprint.route("/")
@member_only
def overview():
    """The member's points, tier, history and the catalogue."""
    c = crm()
    member_id = own_member_id()
    return render_template("web/rewards/overview.html", summary=_summary(c, member_id),
                           history=_history(c, member_id), catalogue=rewards.catalogue(c))


@blueprint.route("/members")
@staff_only("rewards.view")
def member_points():
    """Look up a member's points by member number."""
    c = crm()
    number = request.args.get("member", "").strip()
    errors: dict[str, str] = {}
    found = None
    if number:
        try:
            member = c.member(number)
        except NotFoundError:
            errors["member"] = c.t("No member has this number.")
        else:
            found = {"member": member, "summary": _summary(c, member.id),
                     "history": _history(c, member.id)}
    return render_template("web/rewards/member.html", number=number, errors=errors,
                           found=found), (400 if errors else 200)


@hookimpl
def dyncrm_web(crm):
    """The rewards pages and the member's points card."""
    return WebExtension(
        blueprint=blueprint,
        menu=[MenuEntry("My points", "rewards.overview", audience="member", order=40),
              MenuEntry("Members' points", "rewards.member_points", audience="staff",
                        permission="rewards.view", order=40)],
        cards=[Card("My points", "web/rewards/_card.html", _card, audience="member",
                    order=40)],
    )
