"""What the plugin does, as functions the CLI and the hooks share."""

from __future__ import annotations

from typing import TYPE_CHECKING

import attrs

from dyncrm.errors import ValidationError
from dyncrm.values import Actor
from dyncrm_visits.models import Visit

if TYPE_CHECKING:
    from dyncrm.app import CRM

PLUGIN = "visits"


@attrs.frozen
class VisitsSettings:
    """``[plugins.visits]``: the branch visits are logged at, and the welcome reaction."""

    branch: str = "Head office"
    welcome_visit: bool = True
    welcome_message: bool = False


@attrs.frozen
class VisitInfo:
    """One logged visit, as commands and callers see it."""

    id: int
    member_id: int
    branch: str
    kind: str
    note: str
    actor: str
    at: object


@attrs.frozen
class LogResult:
    """The visit logged, and whether it was logged before under the same key."""

    visit_id: int
    replayed: bool


def _info(row: Visit) -> VisitInfo:
    return VisitInfo(id=row.id, member_id=row.member_id, branch=row.branch, kind=row.kind,
                     note=row.note, actor=row.actor, at=row.at)


def log_visit(crm: CRM, member_ref: int | str, actor: Actor, *, note: str = "",
              branch: str | None = None, key: str | None = None) -> LogResult:
    """Record that a member visited a branch, with a touchpoint; idempotent by ``key``."""
    with crm.action("visits.log", actor, key=key, permission="visits.log") as act:
        if act.replayed:
            return LogResult(act.previous["visit"], replayed=True)
        member = crm.member(member_ref)
        if member.stage in ("rejected", "inactive"):
            raise ValidationError(f"{member.name} is {member.stage}; visits are logged for "
                                  "applicants and members only", field="member")
        branch = branch or crm.plugin_config(PLUGIN).branch
        row = Visit.create(member=member.id, branch=branch, kind="walk-in", note=note,
                           actor=actor.username, at=crm.now())
        crm.touch(member.id, "retain", "by", "visit.logged", actor,
                  {"branch": branch, "note": note, "visit": row.id})
        act.done(visit=row.id)
        return LogResult(row.id, replayed=False)


def welcome(crm: CRM, member_id: int, actor: Actor) -> None:
    """React to a member becoming active: a welcome visit and, if set, a message."""
    settings = crm.plugin_config(PLUGIN)
    if settings.welcome_visit:
        Visit.create(member=member_id, branch=settings.branch, kind="welcome",
                     note="welcome visit: open the savings book", actor=actor.username,
                     at=crm.now())
    if settings.welcome_message:
        crm.notify_member(member_id, "messages/visits_welcome.txt", kind="visits.welcome",
                          key=f"visits.welcome:{member_id}", branch=settings.branch)


def visits(crm: CRM, member_id: int | None = None) -> list[VisitInfo]:
    """Logged visits, newest first, of one member or of everyone."""
    query = Visit.select().order_by(Visit.at.desc(), Visit.id.desc())
    if member_id is not None:
        query = query.where(Visit.member == member_id)
    return [_info(row) for row in query]
