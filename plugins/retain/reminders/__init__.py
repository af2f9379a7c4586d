"""Plugin ``retain.reminders``: the reminder engine, for any plugin's due items.

Plugins supply due items through ``dyncrm_retain_due_items`` (what, for whom,
due date, amount); this plugin applies a schedule of day offsets per item
kind, renders ``reminders/<kind>/<offset>.txt`` (falling back to
``reminders/<kind>.txt``, then ``reminders/default.txt``) and queues each
(item, offset) exactly once.  ``dyncrm remind run`` and ``dyncrm run-due``
drive it.  The engine is :mod:`dyncrm_retain.reminders.engine`; the commands are
in :mod:`dyncrm_retain.reminders.cli`.
"""

from __future__ import annotations

from dyncrm import hookimpl
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Actor, Permission, ScheduledJob
from dyncrm_retain.reminders.settings import PLUGIN, ReminderSettings

spec = PluginSpec(
    PLUGIN,
    settings=ReminderSettings,
    models="dyncrm_retain.reminders.models:MODELS",
    migrations="migrations",
    templates="templates",
    commands="dyncrm_retain.reminders.cli:register",
    permissions=[
        Permission("reminders.run", frozenset({"admin", "secretary", "system"}),
                   "run the reminder engine and see what it would send"),
        Permission("reminders.view", frozenset({"admin", "secretary", "treasurer", "cashier"}),
                   "see the reminders sent to a member"),
    ],
)
spec.export(globals())


def run_job(crm, day) -> str:
    """The daily job: queue the day's reminders as the batch actor, then deliver the outbox."""
    from dyncrm_retain.reminders.engine import run, settings

    report = run(crm, day, Actor.system("reminders"))
    text = report.summary()
    if settings(crm).deliver:
        delivery = crm.outbox.deliver(now=crm.now())
        text += f"; delivered {delivery.sent}, failed {delivery.failed}"
        if delivery.unknown:
            text += (f"; {delivery.unknown} of an interrupted run held as unknown "
                     "(dyncrm outbox unknown)")
    return text


@hookimpl
def dyncrm_scheduled_jobs(crm):
    return [ScheduledJob("reminders", run_job,
                         "queue due-date reminders (each item and offset once), then deliver")]
