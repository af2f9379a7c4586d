"""``dyncrm remind run|list|history``: the reminder engine on the command line."""

from __future__ import annotations

import sys

import click

from dyncrm import output, params
from dyncrm.cli import examples, json_option, pass_actor, pass_scheduler
from dyncrm.errors import DyncrmError
from dyncrm_retain.reminders import engine

DATE = params.DATE  # a business date within plausible bounds


def _who(p: engine.Planned) -> str:
    if p.member is not None:
        return f"{p.member.number or '#' + str(p.member.id)} {p.member.name}"
    return p.recipient or "(nobody)"


def _rows(crm, planned, statuses=None, *, raw: bool = False) -> list[dict]:
    rows = []
    for p in planned:
        if statuses and p.status not in statuses:
            continue
        rows.append({
            "item": p.item.key, "kind": p.item.kind, "for": _who(p),
            "due": p.item.due_on.isoformat(),
            "amount": (p.item.amount if raw else crm.format_money(p.item.amount))
            if p.item.amount is not None else None if raw else "",
            "sent": ", ".join(f"{o:+d}" for o in p.sent_offsets),
            "offset": f"{p.offset:+d}" if p.offset is not None else "",
            "status": engine.STATUS_TEXT[p.status],
            "next": p.next_on.isoformat() if p.next_on else "",
            "channel": p.channel or "",
        })
    return rows


def register(cli: click.Group) -> None:
    """Add the ``remind`` group to the command line."""

    @cli.group("remind")
    def remind() -> None:
        """Due-date reminders: run the engine, see what is due, see what was sent."""

    @examples("dyncrm remind run --dry-run")
    @remind.command("run")
    @click.option("--date", "on", type=DATE, help="Run as of this date (default: today).")
    @click.option("--dry-run", is_flag=True, help="Show what would be queued; write nothing.")
    @click.option("--send/--no-send", default=None,
                  help="Deliver the outbox after queueing (default: the 'deliver' setting).")
    @json_option
    @pass_scheduler
    def remind_run(crm, actor, on, dry_run, send, as_json):
        """Queue the reminders due today (each item and offset once), then deliver them.

        Safe to run any number of times a day: what was queued is never queued
        again, and a run that was interrupted is completed by the next one.  Runs
        as the system actor, so cron needs no sign-in.
        """
        day = on or crm.today()
        deliver = engine.settings(crm).deliver if send is None else send
        crm.require(actor, "reminders.run")
        if deliver and not dry_run:
            crm.require(actor, "outbox.send")
        bar_holder: dict = {}

        def sized(planned):
            n = sum(1 for p in planned if p.status == engine.SEND)
            if not dry_run and not as_json:
                bar = click.progressbar(length=n, label="Queueing reminders", file=sys.stderr)
                bar_holder["bar"] = bar.__enter__()

        try:
            report = engine.run(crm, day, actor, dry_run=dry_run, on_plan=sized,
                                progress=lambda n: bar_holder["bar"].update(n)
                                if "bar" in bar_holder else None)
        finally:
            if "bar" in bar_holder:
                bar_holder["bar"].__exit__(None, None, None)
        delivery = None
        if deliver and not dry_run:
            delivery = crm.outbox.deliver(now=crm.now())
        if as_json:
            output.emit({
                "date": day, "dry_run": dry_run, "items": report.items,
                "queued": [{"key": s.key, "member_id": s.member_id, "channel": s.channel,
                            "message_id": s.message_id} for s in report.queued],
                "would_queue": [p.key for p in report.planned if p.status == engine.SEND]
                if dry_run else [],
                "failed": [{"key": k, "error": e} for k, e in report.failed],
                "delivered": delivery.sent if delivery else None,
                "held_unknown": delivery.unknown if delivery else None,
            })
        else:
            if dry_run:
                output.table(_rows(crm, report.planned, {engine.SEND}),
                             ["item", "kind", "for", "due", "amount", "offset", "channel"],
                             empty="(nothing to send)")
            click.echo(report.summary())
            if delivery is not None:
                click.echo(f"delivered {delivery.sent}, failed {delivery.failed} "
                           f"(given up: {delivery.gave_up})")
                if delivery.unknown:
                    click.echo(f"{delivery.unknown} messages of an interrupted run may or may "
                               "not have been delivered; see: dyncrm outbox unknown", err=True)
            for key, error in report.failed:
                click.echo(f"failed {key}: {error}", err=True)
        if report.failed:
            raise DyncrmError(f"{len(report.failed)} reminders could not be queued; they are "
                              "tried again on the next run")

    @examples("dyncrm --as sekretaris remind list --date 2025-12-20")
    @remind.command("list")
    @click.option("--date", "on", type=DATE, help="As of this date (default: today).")
    @click.option("--status", "statuses", multiple=True,
                  type=click.Choice(sorted(engine.STATUS_TEXT)),
                  help="Only items with this status (repeatable).")
    @json_option
    @pass_actor
    def remind_list(crm, actor, on, statuses, as_json):
        """Every due item with its schedule: what was sent, what is due, what comes next."""
        crm.require(actor, "reminders.run")
        day = on or crm.today()
        planned, _ = engine.plan(crm, day)
        rows = _rows(crm, planned, set(statuses), raw=as_json)
        if as_json:
            output.emit(rows)
        else:
            output.table(rows, ["item", "kind", "for", "due", "amount", "sent", "status",
                                "offset", "next"], empty="(no due items)")

    @examples("dyncrm --as sekretaris remind history XYZ-2025-00003")
    @remind.command("history")
    @click.argument("member_ref", metavar="MEMBER")
    @json_option
    @pass_actor
    def remind_history(crm, actor, member_ref, as_json):
        """The reminders MEMBER (number or id) was sent, newest first."""
        info = crm.member(member_ref)
        if actor.member_id != info.id:
            crm.require(actor, "reminders.view")
        rows = []
        for r, status in engine.history(info.id):
            amount = ""
            if r.amount is not None:
                amount = crm.ledger_money(r.amount, r.commodity)
                amount = amount if as_json else crm.format_money(amount)
            rows.append({"queued": r.queued_at, "run_for": r.run_on, "item": r.item_key,
                         "kind": r.kind, "offset": f"{r.day_offset:+d}", "due": r.due_on,
                         "amount": amount, "channel": r.channel, "to": r.recipient,
                         "delivery": status})
        if as_json:
            output.emit({"member": info, "reminders": rows})
            return
        click.echo(f"{info.number or '#' + str(info.id)}  {info.name}")
        output.table(rows, headers={"run_for": "run for"}, empty="(no reminders sent)")
