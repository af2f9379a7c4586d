"""The front page, the dashboards and the staff work queue.

``/`` shows a visitor the cooperative's welcome (sign in, or apply to join when
registration is enabled), a member their own dashboard and staff theirs, each
built from the cards the enabled plugins contribute.  ``/queue`` gathers the work
waiting for the signed-in staff member from every plugin, oldest first.
"""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, render_template

from dyncrm.web import nav
from dyncrm.web.guards import actor, crm, is_member, signed_in

blueprint = Blueprint("home", __name__)


@blueprint.route("/")
def index():
    """Welcome for visitors, the dashboard for everyone signed in."""
    who = actor()
    if who is None:
        return render_template("web/welcome.html")
    # _("My dashboard") _("Dashboard"): the headings, translated in the template
    heading = "My dashboard" if is_member(who) else "Dashboard"
    return render_template("web/dashboard.html", heading=heading, cards=nav.cards())


def _age(moment) -> dt.datetime:
    if moment is None:
        return dt.datetime.max
    if isinstance(moment, dt.datetime):
        return moment.replace(tzinfo=None)
    return dt.datetime.combine(moment, dt.time())


@blueprint.route("/queue")
@signed_in
def queue():
    """Everything waiting for the signed-in person's roles, by kind, oldest first."""
    sections = []
    for source in nav.queue_sources():
        items = sorted(source.items(crm(), actor()), key=lambda i: _age(i.waiting_since))
        sections.append({"title": crm().t(source.title), "items": items})
    now = crm().now()
    return render_template("web/queue.html", sections=sections, now=now)


@blueprint.route("/health")
def health():
    """For load balancers and monitoring: 200 when the database answers."""
    crm().database.execute_sql("SELECT 1")
    return {"status": "ok"}
