"""``dyncrm rewards ...``: points balance and statement, catalogue, redeem, award, tiers."""

from __future__ import annotations

import click

from dyncrm import output, params
from dyncrm.cli import examples, json_option, pass_actor, subgroup
from dyncrm.dates import as_date as _day
from dyncrm.i18n import gettext
from dyncrm_expand import rewards

DATE = params.DATE  # a business date within plausible bounds


def _member(crm, actor, ref: str):
    member = crm.member(ref)
    if actor.member_id != member.id:
        crm.require(actor, "rewards.view")
    return member


def _label(member) -> str:
    return f"{member.number or '#' + str(member.id)} {member.name}"


@examples("dyncrm --as anggota1 rewards balance XYZ-2025-00003")
@click.command("balance")
@click.argument("member_ref", metavar="MEMBER")
@json_option
@pass_actor
def balance_cmd(crm, actor, member_ref, as_json):
    """A member's points, lifetime points earned and tier."""
    member = _member(crm, actor, member_ref)
    data = {"member": _label(member), "points": int(rewards.balance(crm, member.id).amount),
            "earned": rewards.earned(crm, member.id), "tier": rewards.tier(crm, member.id).name}
    output.emit(data) if as_json else output.kv(data)


@examples("dyncrm --as anggota1 rewards statement XYZ-2025-00003 --since 2025-01-01")
@click.command("statement")
@click.argument("member_ref", metavar="MEMBER")
@click.option("--since", type=DATE, help="From this date.")
@click.option("--until", type=DATE, help="Up to this date.")
@json_option
@pass_actor
def statement_cmd(crm, actor, member_ref, since, until, as_json):
    """Every earning and redemption of a member with the running balance."""
    member = _member(crm, actor, member_ref)
    lines = rewards.statement(crm, member.id, since=_day(since), until=_day(until))
    rows = [{"date": ln["date"], "what": ln["memo"], "points": int(ln["amount"].amount),
             "balance": int(ln["balance"].amount)} for ln in lines]
    if as_json:
        output.emit({"member": _label(member), "lines": rows})
        return
    click.echo(f"Points of {_label(member)}")
    output.table(rows, ["date", "what", "points", "balance"], align_right=["points", "balance"],
                 empty="no points yet")


@examples("dyncrm rewards catalogue")
@click.command("catalogue")
@json_option
@click.pass_context
def catalogue_cmd(ctx, as_json):
    """What points can be redeemed for, and the stock left."""
    entries = rewards.catalogue(ctx.obj.crm)
    if as_json:
        output.emit(entries)
        return
    output.table([{"item": e.code, "name": e.name, "points": e.points, "left": e.stock_left,
                   "description": e.description} for e in entries],
                 align_right=["points", "left"], empty="the catalogue is empty")


@examples("dyncrm --as kasir rewards redeem XYZ-2025-00003 payung --ref KW-0099")
@click.command("redeem")
@click.argument("member_ref", metavar="MEMBER")
@click.argument("item")
@click.option("--quantity", type=params.COUNT, default=1, show_default=True)
@click.option("--ref", "reference", required=True,
              help="Counter slip or request number; the same reference redeems once.")
@json_option
@pass_actor
def redeem_cmd(crm, actor, member_ref, item, quantity, reference, as_json):
    """Exchange a member's points for a catalogue ITEM."""
    member = crm.member(member_ref)
    result = rewards.redeem(crm, actor, member.id, item, reference=reference,
                            quantity=quantity)
    if as_json:
        output.emit(result)
        return
    if result.replayed:
        click.echo(f"already recorded: redemption {reference} ({result.quantity} × "
                   f"{result.item_name}); nothing changed")
        return
    left = int(rewards.balance(crm, member.id).amount)
    click.echo(f"redeemed {result.points} points of {_label(member)} for {result.quantity} × "
               f"{result.item_name}; {left} points left")


@examples("dyncrm --as sekretaris rewards award XYZ-2025-00003 200 --reason \"volunteered "
          "at the RAT\" --ref RAT-2026")
@click.command("award")
@click.argument("member_ref", metavar="MEMBER")
@click.argument("points", type=params.COUNT)
@click.option("--reason", required=True, help="Why the points are given.")
@click.option("--ref", "reference", required=True, help="The same reference awards once.")
@json_option
@pass_actor
def award_cmd(crm, actor, member_ref, points, reason, reference, as_json: bool):
    """Award POINTS to a member by hand."""
    member = crm.member(member_ref)
    result = rewards.award(crm, actor, member.id, points, reason=reason, reference=reference)
    output.action(as_json, f"already recorded: award {reference}; nothing changed"
                  if result.replayed else f"awarded {points} points to {_label(member)}",
                  replayed=result.replayed, member=member.number or member.id, points=points,
                  reference=reference)


@examples("dyncrm rewards tiers")
@click.command("tiers")
@click.argument("member_ref", metavar="MEMBER", required=False)
@json_option
@click.pass_context
def tiers_cmd(ctx, member_ref, as_json):
    """The tiers, and a member's tier when MEMBER is given.

    The tiers are public: no sign-in needed; a member's tier is for the member and staff.
    """
    crm = ctx.obj.crm
    cfg = rewards.settings(crm)
    rows = [{"tier": t.name, "points": t.min_points if t.min_points is not None else "",
             "or_years": t.min_years if t.min_years is not None else ""} for t in cfg.tiers]
    current = None
    if member_ref:
        member = _member(crm, ctx.obj.actor, member_ref)
        current = rewards.tier(crm, member.id).name
    if as_json:
        output.emit({"tiers": rows, "member_tier": current})
        return
    output.table(rows, ["tier", "points", "or_years"], headers={"or_years": "or years"})
    if current:
        # too few words to be recognised in the finished line: translated as a template
        click.echo(gettext("{member} is {tier}").format(member=_label(member), tier=current))


@examples("dyncrm --as sekretaris rewards restock payung 20 --ref DO-2026-04")
@click.command("restock")
@click.argument("item")
@click.argument("quantity", type=params.CountType(-10**9, 10**9))
@click.option("--ref", "reference", required=True, help="Delivery note; counted once.")
@click.option("--note", default="")
@json_option
@pass_actor
def restock_cmd(crm, actor, item, quantity, reference, note, as_json: bool):
    """Add QUANTITY of ITEM to the catalogue's stock (negative takes out)."""
    entry = rewards.restock(crm, actor, item, quantity, reference=reference, note=note)
    output.action(as_json, f"{entry.name}: {entry.stock_left} in stock")


@examples("dyncrm --as sekretaris rewards reverse 812 --reason \"awarded twice\"", run=False)
@click.command("reverse")
@click.argument("entry_id", type=int)
@click.option("--reason", required=True, help="Why the entry is corrected (kept in the books).")
@click.option("--key", default=None,
              help="Idempotency key of the correction (default: correction:ENTRY_ID).")
@json_option
@pass_actor
def reverse_cmd(crm, actor, entry_id, reason, key, as_json):
    """Correct points awarded, earned or redeemed (a redemption returns the item to stock)."""
    from dyncrm_expand.rewards.corrections import reverse_entry

    result = reverse_entry(crm, actor, entry_id, reason=reason, key=key)
    output.emit(result) if as_json else click.echo(result.describe())


COMMANDS = [balance_cmd, statement_cmd, catalogue_cmd, redeem_cmd, award_cmd, tiers_cmd,
            restock_cmd, reverse_cmd]


def register(cli: click.Group) -> None:
    """Add the ``rewards`` group to the ``dyncrm`` command tree."""
    group = subgroup(cli, "rewards", "Reward points: earn, redeem, tiers.")
    for command in COMMANDS:
        group.add_command(command)


__all__ = ["COMMANDS", "register"]
