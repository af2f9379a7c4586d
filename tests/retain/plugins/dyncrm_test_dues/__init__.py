"""A due-item source for the retain CLI tests, installed as a distribution of its own.

Its items live in a JSON file named by its settings (``file``)::

    {"items": [{"key": "inst:A001", "member": "A001", "due_on": "2026-03-10",
                "kind": "loans.installment", "amount": "250000", "paid_on": "2026-03-12",
                "essential": true, "description": "installment 1"}]}

An item is returned for runs before its ``paid_on`` date only, the way a real source stops
returning what was settled.  ``kill_after = N`` kills the process (SIGKILL, no clean-up)
while the Nth reminder of the run is being queued: a power cut in the middle of a run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal

import attrs

from dyncrm import hookimpl
from dyncrm.values import DueItem

NAME = "test.dues"
_queued = {"n": 0}


@attrs.frozen
class DuesSettings:
    """Where the items are, and when to pull the plug."""

    file: str = "dues.json"
    kill_after: int = 0


@hookimpl
def dyncrm_config_schema():
    return {NAME: DuesSettings}


@hookimpl
def dyncrm_retain_due_items(crm, on):
    settings = crm.plugin_config(NAME)
    data = json.loads(crm.config.resolve(settings.file).read_text(encoding="utf-8"))
    items = []
    for spec in data["items"]:
        paid_on = spec.get("paid_on")
        if paid_on and on >= dt.date.fromisoformat(paid_on):
            continue
        items.append(DueItem(
            key=spec["key"], kind=spec.get("kind", "test.due"),
            member_id=crm.member(spec["member"]).id, due_on=dt.date.fromisoformat(spec["due_on"]),
            amount=crm.money(spec["amount"]) if spec.get("amount") else None,
            description=spec.get("description", ""), essential=spec.get("essential", True)))
    return items


@hookimpl
def dyncrm_retain_reminder_queued(crm, reminder):
    kill_after = crm.plugin_config(NAME).kill_after
    _queued["n"] += 1
    if kill_after and _queued["n"] >= kill_after:
        os.kill(os.getpid(), signal.SIGKILL)
