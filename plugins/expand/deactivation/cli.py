"""``dyncrm leave ...``: requests to leave, settlements, approval, payout, cancellation."""

from __future__ import annotations

import click

from dyncrm import output, params
from dyncrm.cli import examples, json_option, pass_actor, subgroup
from dyncrm.cli_receipts import print_receipt, receipt_option
from dyncrm.dates import as_date as _day
from dyncrm.db.models import Member
from dyncrm_expand import deactivation
from dyncrm_expand.deactivation import LEAVE_STAGES, LeaveRequest, Settlement

DATE = params.DATE  # a business date within plausible bounds


def _who(member) -> str:
    return member.number or f"#{member.id}"


def _can_view(crm, actor, member_id: int) -> None:
    if actor.member_id is None or actor.member_id != member_id:
        crm.require(actor, "leave.view")


def print_settlement(crm, found: Settlement | LeaveRequest, title: str) -> None:
    """The settlement statement as a table: one row per line, then the total."""
    lines = found.lines
    total = found.total if isinstance(found, Settlement) else found.settlement_total
    click.echo(title)
    rows = [{"line": ln.label, "amount": crm.format_money(ln.amount)} for ln in lines]
    rows.append({"line": "Total refund", "amount": crm.format_money(total)})
    output.table(rows, ["line", "amount"], align_right=["amount"])


def _settlement_json(found: Settlement) -> dict:
    return {"member_id": found.member_id, "on": found.on, "lines": found.lines,
            "total": found.total}


@examples("dyncrm --as sekretaris leave request XYZ-2025-00003 --reason \"moving to Surabaya\"")
@click.command("request")
@click.argument("member_ref", metavar="MEMBER")
@click.option("--reason", required=True, help="Why the member leaves.")
@click.option("--date", "on", type=DATE, help="Date of the request (default: today).")
@json_option
@pass_actor
def request_cmd(crm, actor, member_ref, reason, on, as_json):
    """Record MEMBER's request to leave (by the member or the secretary)."""
    member = crm.member(member_ref)
    result = deactivation.request_leave(crm, actor, member.id, reason, on=_day(on))
    found = deactivation.settlement(crm, member.id, result.requested_on)
    if as_json:
        output.emit({"request": result, "settlement": _settlement_json(found)})
        return
    click.echo(f"recorded leave request #{result.id} for {_who(member)} {member.name}; "
               f"waiting for approval (dyncrm leave approve {result.id})")
    print_settlement(crm, found, f"Settlement as of {found.on.isoformat()} (preview):")


@examples("dyncrm --as sekretaris leave show 3")
@click.command("show")
@click.argument("request_id", type=int)
@json_option
@pass_actor
def show_cmd(crm, actor, request_id, as_json):
    """Show a leave request and its settlement statement."""
    found = deactivation.get_request(crm, request_id)
    _can_view(crm, actor, found.member_id)
    member = crm.member(found.member_id)
    preview = None
    if found.status == "requested":
        preview = deactivation.settlement(crm, found.member_id, crm.today())
    if as_json:
        output.emit({"request": found,
                          "settlement_preview": _settlement_json(preview) if preview else None})
        return
    pairs = {"request": f"#{found.id}", "member": f"{_who(member)} {member.name}",
             "member stage": member.stage, "status": found.status, "reason": found.reason,
             "requested": f"{found.requested_on.isoformat()} by {found.requested_by}"}
    if found.approved_on:
        pairs["approved"] = f"{found.approved_on.isoformat()} by {found.approved_by}"
        pairs["payout from"] = found.payout_on.isoformat() if found.payout_on else ""
    if found.paid_on:
        pairs["paid"] = (f"{found.paid_on.isoformat()} by {found.paid_by} "
                         f"({found.payout_method}, ref {found.payout_reference})")
    if found.cancelled_on:
        pairs["cancelled"] = (f"{found.cancelled_on.isoformat()} by {found.cancelled_by}: "
                              f"{found.cancel_reason}")
    output.kv(pairs)
    click.echo("")
    if preview is not None:
        print_settlement(crm, preview, f"Settlement as of {preview.on.isoformat()} (preview; "
                         "computed again on approval):")
    elif found.settlement_total is not None:
        print_settlement(crm, found, f"Settlement posted on {found.approved_on.isoformat()}:")


@examples("dyncrm --as sekretaris leave settlement XYZ-2025-00003")
@click.command("settlement")
@click.argument("member_ref", metavar="MEMBER")
@click.option("--date", "on", type=DATE, help="Settlement on this date (default: today).")
@json_option
@pass_actor
def settlement_cmd(crm, actor, member_ref, on, as_json):
    """Preview what MEMBER would get back if they left on a date."""
    member = crm.member(member_ref)
    _can_view(crm, actor, member.id)
    found = deactivation.settlement(crm, member.id, _day(on) or crm.today())
    if as_json:
        output.emit(_settlement_json(found))
        return
    print_settlement(crm, found, f"Settlement of {_who(member)} {member.name} as of "
                     f"{found.on.isoformat()}:")


@examples("dyncrm --as ketua leave approve 4 --payout-on 2026-06-30", run=False)
@click.command("approve")
@click.argument("request_id", type=int)
@click.option("--payout-on", type=DATE,
              help="Pay the refund from this date (e.g. after the next RAT).")
@click.option("--date", "on", type=DATE, help="Date of the approval (default: today).")
@receipt_option
@json_option
@pass_actor
def approve_cmd(crm, actor, request_id, payout_on, on, as_json):
    """Approve a request: post the settlement; the member becomes 'leaving'."""
    result = deactivation.approve_leave(crm, actor, request_id, payout_on=_day(payout_on),
                                        on=_day(on))
    print_receipt(crm, result.settlement_entry_id, replayed=result.replayed)
    if as_json:
        output.emit(result)
        return
    member = crm.member(result.member_id)
    click.echo(f"approved leave request #{result.id}; {_who(member)} {member.name} is now "
               f"leaving")
    print_settlement(crm, result, "Settlement:")
    click.echo(f"refund payable from {result.payout_on.isoformat()} "
               f"(dyncrm leave pay {result.id} --method cash|transfer --ref REF)")


@examples("dyncrm --as kasir leave pay 4 --method transfer --ref BCA-OUT-0091", run=False)
@click.command("pay")
@click.argument("request_id", type=int)
@click.option("--method", type=click.Choice(["cash", "transfer"]), required=True)
@click.option("--ref", "reference", required=True, help="Receipt or transfer reference.")
@click.option("--date", "on", type=DATE, help="Date of the payout (default: today).")
@receipt_option
@json_option
@pass_actor
def pay_cmd(crm, actor, request_id, method, reference, on, as_json):
    """Pay out an approved refund; the member becomes 'inactive'."""
    result = deactivation.pay_refund(crm, actor, request_id, method=method,
                                     reference=reference, on=_day(on))
    print_receipt(crm, result.payout_entry_id, replayed=result.replayed)
    if as_json:
        output.emit(result)
        return
    member = crm.member(result.member_id)
    if result.replayed:
        click.echo(f"already recorded: refund of leave request #{result.id} was paid on "
                   f"{result.paid_on.isoformat()} (ref {result.payout_reference}); "
                   "nothing changed")
    else:
        click.echo(f"paid {crm.format_money(result.settlement_total)} to {_who(member)} "
                   f"{member.name} ({method}, ref {reference}); membership ended")


@examples("dyncrm --as sekretaris leave cancel 4 --reason \"stays after all\"", run=False)
@click.command("cancel")
@click.argument("request_id", type=int)
@click.option("--reason", required=True, help="Why the request is cancelled.")
@json_option
@pass_actor
def cancel_cmd(crm, actor, request_id, reason, as_json: bool):
    """Cancel a request before payout; an approved settlement is reversed."""
    result = deactivation.cancel_leave(crm, actor, request_id, reason)
    extra = (f"; settlement reversed by ledger entry {result.reversal_entry_id}"
             if result.reversal_entry_id else "")
    output.action(as_json, f"cancelled leave request #{result.id}{extra}; the member stays active")


@examples("dyncrm --as sekretaris leave list --status paid")
@click.command("list")
@click.option("--status", type=click.Choice(LEAVE_STAGES.stages))
@json_option
@pass_actor
def list_cmd(crm, actor, status, as_json):
    """List leave requests, newest first."""
    crm.require(actor, "leave.view")
    found = deactivation.list_requests(crm, status=status)
    members = {m.id: m for m in Member.select().where(
        Member.id.in_({r.member_id for r in found}))} if found else {}
    rows = [{"id": r.id, "member": _who(members[r.member_id]),
             "name": members[r.member_id].name, "status": r.status,
             "requested": r.requested_on, "approved": r.approved_on or "",
             "payout from": r.payout_on or "", "paid": r.paid_on or "",
             "refund": crm.format_money(r.settlement_total)
             if r.settlement_total is not None else ""} for r in found]
    if as_json:
        output.emit(found)
    else:
        output.table(rows, align_right=["refund"], empty="no leave requests")


@examples("dyncrm --as bendahara leave reverse 812 --reason \"member stays after all\"", run=False)
@click.command("reverse")
@click.argument("entry_id", type=int)
@click.option("--reason", required=True, help="Why the entry is corrected (kept in the books).")
@click.option("--key", default=None,
              help="Idempotency key of a payout correction (default: correction:ENTRY_ID).")
@json_option
@pass_actor
def reverse_cmd(crm, actor, entry_id, reason, key, as_json):
    """Correct a settlement (the request is cancelled, its refund with it) or a refund payout.

    A reversed payout makes the refund payable again and the member 'leaving'.
    """
    from dyncrm_expand.deactivation.corrections import reverse_entry

    result = reverse_entry(crm, actor, entry_id, reason=reason, key=key)
    output.emit(result) if as_json else click.echo(result.describe())


COMMANDS = [request_cmd, show_cmd, settlement_cmd, approve_cmd, pay_cmd, cancel_cmd, list_cmd,
            reverse_cmd]


def register(cli: click.Group) -> None:
    """Add the ``leave`` group to the ``dyncrm`` command tree."""
    group = subgroup(cli, "leave", "Members leaving: requests, settlements and refunds.")
    for command in COMMANDS:
        group.add_command(command)


__all__ = ["COMMANDS", "print_settlement", "register"]
