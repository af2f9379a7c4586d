"""retain.reminders: planning (and queueing) the reminders of every due item.

On 26 December the savings plugin returns January 2026 for everyone plus the
months left unpaid by the gaps, the loans plugin every unpaid installment due by
9 January.  Reminders go out for December's wajib of members with a gap and for
December's installment, except where that one was already queued
(``id % 6 == 0``); older items are too old to catch up, January's not yet due.
"""

from __future__ import annotations

import calendar
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


@koperasi_job("reminders.plan raw", memory_growth="linear")
def plan_raw(crm, world):
    """The same plan in hand-written SQL (the floor): every due item and its status.

    Like the library, it finds unpaid pokok as well as the wajib months (the world
    has none: every member paid their pokok), so both read the same sums.
    """
    from dyncrm_expand.loans.queries import settings as loan_settings
    from dyncrm_expand.savings.common import settings as savings_settings
    from dyncrm_retain.reminders import engine as remind_engine

    db = crm.database
    savings_cfg = savings_settings(crm)
    lo = ON - dt.timedelta(days=savings_cfg.reminder_lookback_days)
    hi = ON + dt.timedelta(days=savings_cfg.reminder_lookahead_days)
    horizon = ON + dt.timedelta(days=loan_settings(crm).reminder_lookahead_days)
    due_day = savings_cfg.wajib.due_day
    wajib = int(savings_cfg.wajib.amount)
    pokok_default = int(savings_cfg.pokok.amount)
    pokok_days = dt.timedelta(days=savings_cfg.pokok.due_days)
    paid_sum = ("(SELECT -SUM(p.amount) FROM account a "
                "JOIN posting p ON p.account_id = a.id JOIN journal_entry e ON e.id = p.entry_id "
                "WHERE a.member_id = m.id AND a.kind = '{}' "
                "AND e.kind NOT LIKE 'deactivation.%')")
    # (key, member, due_on, email, preferred channel, opted out)
    items: list[tuple[str, str, int, dt.date, str, str, int]] = []
    for member_id, joined, start, end, email, channel, opt_out, paid, pokok_owed, \
            pokok_paid in db.execute_sql(
                "SELECT m.id, m.joined_on, o.start_on, o.end_on, m.email, "
                "m.preferred_channel, m.marketing_opt_out, "
                f"{paid_sum.format('savings.wajib')}, k.amount, "
                f"{paid_sum.format('savings.pokok')} "
                "FROM member m LEFT JOIN savings_obligation o ON o.member_id = m.id "
                "AND o.product = 'wajib' LEFT JOIN savings_obligation k "
                "ON k.member_id = m.id AND k.product = 'pokok' WHERE m.stage = 'active'"):
        first = dt.date.fromisoformat(start or joined)
        pokok_owed = pokok_default if pokok_owed is None else pokok_owed
        if pokok_owed - int(pokok_paid or 0) > 0:  # unpaid pokok, due days after the start
            items.append((f"pokok:{member_id}", "savings.pokok", member_id, first + pokok_days,
                          email, channel, opt_out))
        limit = min(hi, dt.date.fromisoformat(end)) if end else hi
        month, paid = first.replace(day=1), int(paid or 0)
        covered = paid // wajib if paid > 0 else 0
        index = covered + 1
        month = dt.date(first.year + (first.month - 1 + covered) // 12,
                        (first.month - 1 + covered) % 12 + 1, 1)
        while True:  # only the unpaid months, from the first one not covered
            last = calendar.monthrange(month.year, month.month)[1]
            due = max(month.replace(day=min(due_day, last)), first)
            if due > limit:
                break
            if due >= lo:
                items.append((f"wajib:{member_id}:{month:%Y-%m}", "savings.wajib", member_id,
                              due, email, channel, opt_out))
            index += 1
            month = (month + dt.timedelta(days=32)).replace(day=1)
    for loan_id, number, member_id, due, email, channel, opt_out in db.execute_sql(
            "SELECT l.id, i.number, l.member_id, i.due_on, m.email, m.preferred_channel, "
            "m.marketing_opt_out FROM loan_installment i JOIN loan l ON l.id = i.loan_id "
            "JOIN member m ON m.id = l.member_id WHERE l.stage = 'disbursed' "
            "AND i.paid_on IS NULL AND i.due_on <= ?", [horizon.isoformat()]):
        items.append((f"loan:{loan_id}:inst:{number}", "loans.installment", member_id,
                      dt.date.fromisoformat(due), email, channel, opt_out))
    sent: dict[str, set[int]] = {}
    for key, offset in db.execute_sql("SELECT item_key, day_offset FROM reminder"):
        sent.setdefault(key, set()).add(offset)
    schedules = {kind: remind_engine.schedule_for(crm, kind)
                 for kind in ("savings.pokok", "savings.wajib", "loans.installment")}
    catch_up = dt.timedelta(days=remind_engine.settings(crm).catch_up_days)
    planned = []
    for key, kind, _member_id, due, email, _channel, _opt_out in items:
        reached = [o for o in schedules[kind] if due + dt.timedelta(days=o) <= ON]
        if not reached:
            planned.append((key, "not_yet", None))
            continue
        latest = reached[-1]
        if any(o >= latest for o in sent.get(key, ())):
            status = "sent"
        elif not email:
            status = "no_recipient"
        elif due + dt.timedelta(days=latest) < ON - catch_up:
            status = "too_old"
        else:
            status = remind_engine.SEND
        planned.append((key, status, latest if status == remind_engine.SEND else None))
    items_expected, send = _expected(world)
    check("due items planned", len(planned), items_expected)
    check("reminders to send", sum(1 for p in planned if p[1] == remind_engine.SEND), send)
