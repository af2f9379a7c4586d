"""dyncrm-visits: a branch visit log, written the way a third party writes a plugin.

It lives outside the dyncrm distribution and touches nothing in the core.  It
is found through its own distribution's ``dyncrm`` entry point
(``visits = dyncrm_visits``) and enabled with ``[plugins] enabled = ["visits"]``.
Its set-up is one :class:`dyncrm.PluginSpec`: settings ``[plugins.visits]``, a
table (``visits_visit``) made by its ``migrations/``, a welcome template, two
permissions and the commands ``dyncrm visits log`` / ``list``.  One hand-written
hook reacts to ``dyncrm_member_stage_changed``: a member who becomes active gets
a welcome visit booked and, if ``welcome_message = true``, a welcome message.
"""

from __future__ import annotations

from dyncrm import Permission, PluginSpec, hookimpl
from dyncrm_visits import service

__version__ = "0.1"

STAFF = frozenset({"admin", "secretary", "cashier"})

spec = PluginSpec(
    service.PLUGIN,
    settings=service.VisitsSettings,
    models="dyncrm_visits.models:MODELS",
    migrations="migrations",
    templates="templates",
    commands="dyncrm_visits.cli:visits_group",
    permissions=[Permission("visits.log", STAFF, "record a member's visit to a branch"),
                 Permission("visits.view", STAFF | {"treasurer"}, "see the visit log")],
)
spec.export(globals())


@hookimpl
def dyncrm_member_stage_changed(crm, change):
    """Book a welcome visit (and maybe a message) when an applicant becomes a member."""
    if change.old_stage == "applicant" and change.new_stage == "active":
        service.welcome(crm, change.member.id, change.actor)
