"""retain.reminders: planning (and queueing) the reminders of every due item.

On 26 December the savings plugin returns January 2026 for everyone plus the
months left unpaid by the gaps, the loans plugin every unpaid installment due by
9 January.  Reminders go out for December's wajib of members with a gap and for
December's installment, except where that one was already queued
(``id % 6 == 0``); older items are too old to catch up, January's not yet due.
"""

from __future__ import annotations

import datetime as dt

from worlds import Expect, check, koperasi_job, wajib_gaps

from dyncrm.values import Actor

ON = dt.date(2025, 12, 26)


def _expected(world) -> tuple[int, int]:
    """(due items, reminders to send) on ``ON``."""
    e = Expect(world)
    horizon = ON + dt.timedelta(days=14)  # the loans plugin's default look-ahead
    items = world.n + e.gaps + len(e.unpaid_until(horizon))
    send = (sum(1 for m in world.member_ids if wajib_gaps(m))
            + sum(1 for m in e.loans if m % 6))
    return items, send


@koperasi_job("reminders.plan", memory_growth="linear")
def plan(crm, world):
    """Collect every plugin's due items and decide which reminder goes out."""
    from dyncrm_retain.reminders import engine as remind_engine

    planned, duplicates = remind_engine.plan(crm, ON)
    items, send = _expected(world)
    check("due items planned", len(planned), items)
    check("reminders to send", sum(1 for p in planned if p.status == remind_engine.SEND), send)
    check("duplicate keys", duplicates, [])


@koperasi_job("reminders.run dry", memory_growth="linear")
def run_dry(crm, world):
    """A dry run: the plan and its report, nothing queued."""
    from dyncrm_retain.reminders import engine as remind_engine

    report = remind_engine.run(crm, ON, Actor.system("scheduler"), dry_run=True)
    items, send = _expected(world)
    check("due items", report.items, items)
    check("would queue", report.count(remind_engine.SEND), send)


@koperasi_job("reminders.run", memory_growth="linear", writes=True, queries="per_row")
def run(crm, world):
    """Queue the reminders: one small transaction per reminder, by design."""
    from dyncrm_retain.reminders import engine as remind_engine

    report = remind_engine.run(crm, ON, Actor.system("scheduler"))
    _, send = _expected(world)
    check("failed reminders", report.failed, ())
    check("queued reminders", len(report.queued), send)
