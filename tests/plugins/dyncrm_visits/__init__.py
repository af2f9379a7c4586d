"""dyncrm-visits: a branch visit log, written the way a third party writes a plugin.

It lives outside the dyncrm distribution and touches nothing in the core.  It
is found through its own distribution's ``dyncrm`` entry point
(``visits = dyncrm_visits``) and enabled with ``[plugins] enabled = ["visits"]``.
It brings:

- a table (``visits_visit``) created by its own ``migrations/`` folder,
- the commands ``dyncrm visits log MEMBER --note ...`` and ``dyncrm visits list``,
- a reaction to ``dyncrm_member_stage_changed``: a member who becomes active gets
  a welcome visit booked and, if ``welcome_message = true``, a welcome message
  queued in the outbox,
- its own config section ``[plugins.visits]`` and two permissions.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from dyncrm import Permission, hookimpl
from dyncrm_visits import service

__version__ = "0.1"

HERE = Path(str(files(__name__)))


@hookimpl
def dyncrm_config_schema():
    """``[plugins.visits]`` parses into :class:`service.VisitsSettings`."""
    return {service.PLUGIN: service.VisitsSettings}


@hookimpl
def dyncrm_migrations():
    """The plugin's migration scripts."""
    return (service.PLUGIN, HERE / "migrations")


@hookimpl
def dyncrm_register_models():
    """The plugin's tables."""
    from dyncrm_visits.models import Visit

    return [Visit]


@hookimpl
def dyncrm_template_dirs():
    """The welcome message template."""
    return [HERE / "templates"]


@hookimpl
def dyncrm_permissions():
    """Who may log and see visits."""
    staff = frozenset({"admin", "secretary", "cashier"})
    return [
        Permission("visits.log", staff, "record a member's visit to a branch"),
        Permission("visits.view", staff | {"treasurer"}, "see the visit log"),
    ]


@hookimpl
def dyncrm_register_commands(cli):
    """Add the ``dyncrm visits`` group."""
    from dyncrm_visits.cli import visits_group

    cli.add_command(visits_group)


@hookimpl
def dyncrm_member_stage_changed(crm, change):
    """Book a welcome visit (and maybe a message) when an applicant becomes a member."""
    if change.old_stage == "applicant" and change.new_stage == "active":
        service.welcome(crm, change.member.id, change.actor)
