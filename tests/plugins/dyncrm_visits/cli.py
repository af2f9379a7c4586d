"""``dyncrm visits log`` and ``dyncrm visits list``."""

from __future__ import annotations

import click

from dyncrm import output
from dyncrm.cli import examples, json_option, pass_actor
from dyncrm_visits import service


@click.group("visits")
def visits_group() -> None:
    """Branch visits of members (third-party example plugin)."""


@examples("dyncrm --as sekretaris visits log XYZ-2025-00003 --note \"asked about loans\"",
          run=False)
@visits_group.command("log")
@click.argument("member_ref", metavar="MEMBER")
@click.option("--note", default="", help="What the visit was about.")
@click.option("--branch", help="Branch visited (default: the configured branch).")
@click.option("--key", help="Idempotency key: logging the same key again changes nothing.")
@json_option
@pass_actor
def log_cmd(crm, actor, member_ref: str, note: str, branch: str | None,
            key: str | None, as_json: bool) -> None:
    """Record that MEMBER (number or id) visited a branch."""
    result = service.log_visit(crm, member_ref, actor, note=note, branch=branch, key=key)
    output.action(as_json, f"already recorded as visit {result.visit_id}; nothing changed"
                  if result.replayed else f"logged visit {result.visit_id}",
                  replayed=result.replayed, visit_id=result.visit_id)


@examples("dyncrm --as sekretaris visits list XYZ-2025-00003", run=False)
@visits_group.command("list")
@click.argument("member_ref", metavar="[MEMBER]", required=False)
@json_option
@pass_actor
def list_cmd(crm, actor, member_ref: str | None, as_json: bool) -> None:
    """List visits, newest first, of MEMBER or of everyone."""
    crm.require(actor, "visits.view")
    member_id = crm.member(member_ref).id if member_ref else None
    rows = [{"id": v.id, "member": v.member_id, "branch": v.branch, "kind": v.kind,
             "note": v.note, "by": v.actor, "at": v.at}
            for v in service.visits(crm, member_id)]
    if as_json:
        output.emit(rows)
    else:
        output.table(rows, ["id", "at", "member", "branch", "kind", "note", "by"])
