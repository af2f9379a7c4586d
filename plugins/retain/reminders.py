"""Plugin ``retain.reminders``: the reminder engine, for any plugin's due items.

Plugins supply due items through ``dyncrm_retain_due_items`` (what, for whom,
due date, amount); this plugin applies a schedule of day offsets per item
kind, renders ``reminders/<kind>/<offset>.txt`` (falling back to
``reminders/<kind>.txt``, then ``reminders/default.txt``) and queues each
(item, offset) exactly once.  ``dyncrm remind run`` and ``dyncrm run-due``
drive it.  The engine is :mod:`dyncrm_retain.remind_engine`; the commands are
in :mod:`dyncrm_retain.remind_cli`.
"""

from __future__ import annotations

from dyncrm import hookimpl
from dyncrm.plugins import package_path
from dyncrm.values import Actor, Permission, ScheduledJob
from dyncrm_retain.reminder_models import MODELS
from dyncrm_retain.reminder_settings import PLUGIN, ReminderSettings


@hookimpl
def dyncrm_config_schema():
    return {PLUGIN: ReminderSettings}


@hookimpl
def dyncrm_migrations():
    return (PLUGIN, package_path("dyncrm_retain", "migrations", "reminders"))


@hookimpl
def dyncrm_register_models():
    return list(MODELS)


@hookimpl
def dyncrm_template_dirs():
    return [package_path("dyncrm_retain", "templates")]


@hookimpl
def dyncrm_permissions():
    return [
        Permission("reminders.run", frozenset({"admin", "secretary", "system"}),
                   "run the reminder engine and see what it would send"),
        Permission("reminders.view", frozenset({"admin", "secretary", "treasurer", "cashier"}),
                   "see the reminders sent to a member"),
    ]


@hookimpl
def dyncrm_register_commands(cli):
    from dyncrm_retain.remind_cli import register

    register(cli)


def run_job(crm, day) -> str:
    """The daily job: queue the day's reminders as the batch actor, then deliver the outbox."""
    from dyncrm_retain.remind_engine import run, settings

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
