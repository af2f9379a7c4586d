"""``dyncrm archive``: documents kept as they were sent — list, show, reprint.

The archive itself is :mod:`dyncrm.archive`; plugins fill it when they send a
document outside the organisation (Koperasi XYZ: the payroll deduction list sent
to the payroll office, SHU slips, reports handed to the annual meeting).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from dyncrm import archive, output, params
from dyncrm.cli import cli, examples, json_option, pass_actor

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import Actor


def _row(crm: CRM, f: archive.ArchivedFile) -> dict:
    return {"id": f.id, "kind": f.kind, "key": f.key, "name": f.name, "size": f.size,
            "sha256": f.sha256[:16], "archived": crm.locale.date(
                archive._local_day(crm, f.created_at)), "by": f.created_by}


@cli.group("archive")
def archive_group() -> None:
    """Documents archived as they were sent (payroll lists, slips, reports): list, reprint."""


@examples("dyncrm --as bendahara archive list --kind payroll.deduction_list")
@archive_group.command("list")
@click.option("--kind", help="Only this kind (payroll.deduction_list, shu.slips, laporan.shu ...).")
@click.option("--key", help="Only this key (a month 2025-12, a year 2025 ...).")
@click.option("--limit", type=params.COUNT, default=100, show_default=True,
              help="Show at most this many (newest first).")
@json_option
@pass_actor
def archive_list(crm: CRM, actor: Actor, kind: str | None, key: str | None, limit: int,
                 as_json: bool) -> None:
    """List archived files, newest first: number, kind, key, name, size and hash."""
    crm.require(actor, archive.VIEW)
    found = archive.list_files(crm, kind=kind, key=key, limit=limit)
    if as_json:
        output.emit([{"id": f.id, "kind": f.kind, "key": f.key, "name": f.name,
                      "size": f.size, "sha256": f.sha256, "created_at": f.created_at,
                      "created_by": f.created_by} for f in found])
        return
    if not found:
        click.echo("nothing archived" + (f" as {kind}" if kind else "")
                   + (f" under {key}" if key else ""))
        return
    output.table([_row(crm, f) for f in found], align_right=["id", "size"])


@examples("dyncrm --as bendahara archive show 36")
@archive_group.command("show")
@click.argument("file_id", metavar="ID")
@json_option
@pass_actor
def archive_show(crm: CRM, actor: Actor, file_id: str, as_json: bool) -> None:
    """What archived file ID is, and whether its bytes still match their hash."""
    crm.require(actor, archive.VIEW)
    f = archive.get(crm, file_id)
    archive.content(crm, f)  # raises ArchiveDamaged when the bytes were altered
    siblings = archive.find(crm, f.kind, f.key)
    data = {"id": f.id, "kind": f.kind, "key": f.key, "name": f.name,
            "media type": f.media_type, "size": f.size, "sha256": f.sha256,
            "archived at": output.local_time(f.created_at),
            "archived by": f"{f.created_by} ({f.channel})",
            "set": ", ".join(f"{x.id} {x.name}" for x in siblings.files) if siblings else "",
            "set sha256": siblings.digest if siblings else "",
            "hash check": "the bytes match the hash recorded when archived"}
    if f.meta:
        data.update({f"meta {k}": v for k, v in f.meta.items()})
    if as_json:
        output.emit({"id": f.id, "kind": f.kind, "key": f.key, "name": f.name,
                     "media_type": f.media_type, "size": f.size, "sha256": f.sha256,
                     "created_at": f.created_at, "created_by": f.created_by,
                     "channel": f.channel,
                     "set": [{"id": x.id, "name": x.name} for x in siblings.files]
                     if siblings else [],
                     "set_sha256": siblings.digest if siblings else None,
                     "hash_matches": True, "meta": dict(f.meta)})
    else:
        output.kv(data)


@examples("dyncrm --as bendahara archive reprint 36 --out potongan-2025-12.pdf")
@archive_group.command("reprint")
@click.argument("file_id", metavar="ID")
@click.option("--out", "out", type=click.Path(dir_okay=False),
              help="Write the file here (default: its archived name, here).")
@json_option
@pass_actor
def archive_reprint(crm: CRM, actor: Actor, file_id: str, out: str | None,
                    as_json: bool) -> None:
    """Write archived file ID byte for byte as it was sent (readable only by you)."""
    crm.require(actor, archive.VIEW)
    f = archive.get(crm, file_id)
    target = archive.reprint(crm, f, out or f.name)
    output.action(as_json, f"{f.name} ({f.kind} {f.key}, archived "
                           f"{output.local_time(f.created_at)} by {f.created_by}, sha256 "
                           f"{f.sha256[:16]}…) written to {target}",
                  id=f.id, name=f.name, kind=f.kind, key=f.key, sha256=f.sha256,
                  path=str(target))
