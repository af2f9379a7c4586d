"""Keeping a member's registration details current (new department, new salary...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dyncrm.db.models import Member
from dyncrm.errors import DuplicateError, NotFoundError, PermissionDenied, ValidationError
from dyncrm.values import Actor
from dyncrm_acquire import validate
from dyncrm_acquire.models import ApplicationRow
from dyncrm_acquire.registration.applications import (
    ApplicantProfile,
    _employment_start,
    _pay,
    _units,
    duplicates,
    profile,
    settings,
)

if TYPE_CHECKING:
    from dyncrm.app import CRM

EDITABLE = ("employee_number", "department", "email", "mobile", "address",
            "employment_status", "employment_start", "take_home_pay")
#: what members change themselves (:func:`update_own_contact`)
OWN_EDITABLE = ("email", "mobile", "address")


def update_profile(crm: CRM, member_ref: int | str, changes: Mapping[str, Any],
                   actor: Actor) -> ApplicantProfile:
    """Change a member's contact, department or employment details.

    ``changes`` maps fields of :data:`EDITABLE` to what was typed; each is
    checked like on the application, and a new e-mail or employee number must
    not belong to someone else.  Records a touchpoint naming the fields.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValidationError(f"cannot change {unknown[0]!r}; changeable: {', '.join(EDITABLE)}")
    if not changes:
        raise ValidationError("nothing to change")
    with crm.action("acquire.update_profile", actor, permission="members.edit"):
        member = crm.member_row(member_ref)
        _change(crm, member, changes, actor)
        return profile(crm, member.id)


def _change(crm: CRM, member: Member, changes: Mapping[str, Any], actor: Actor) -> None:
    """Check ``changes`` like on the application and store them (inside an action)."""
    conf = settings(crm)
    row = ApplicationRow.get_or_none(ApplicationRow.member == member.id)
    if row is None:
        raise NotFoundError("registration profile of member", member.id)
    today = crm.today()
    clean: dict[str, Any] = {}
    converters = {
        "employee_number": validate.employee_number,
        "department": lambda v: validate.department(v, conf.departments),
        "email": validate.email,
        "mobile": validate.mobile,
        "address": validate.address,
        "employment_status": lambda v: validate.choice(v, conf.employment_statuses,
                                                       "employment_status"),
        "employment_start": lambda v: _employment_start(
            v, today, {"date_of_birth": row.date_of_birth}),
        "take_home_pay": lambda v: _pay(crm, v),
    }
    errors = []
    for field, value in changes.items():
        try:
            clean[field] = converters[field](value)
        except ValidationError as exc:
            errors.append(exc if exc.field else ValidationError(str(exc), field=field))
    if errors:
        error = ValidationError("cannot update the profile: "
                                + "; ".join(str(e) for e in errors))
        error.field = errors[0].field if len(errors) == 1 else None
        raise error
    dupes = duplicates(None, clean.get("employee_number"), clean.get("email"),
                       exclude=member.id)
    if dupes:
        raise DuplicateError("cannot update the profile: " + "; ".join(
            f"another application or membership has this {d}" for d in dupes))
    if "email" in clean or "mobile" in clean:
        Member.update(email=clean.get("email", member.email),
                      phone=clean.get("mobile", member.phone)).where(
            Member.id == member.id).execute()
    for field in ("employee_number", "department", "address", "employment_status",
                  "employment_start"):
        if field in clean:
            setattr(row, field, clean[field])
    if "take_home_pay" in clean:
        row.take_home_pay = _units(crm, clean["take_home_pay"])
    row.save()
    crm.touch(member.id, "acquire", "of", "profile.updated", actor,
              {"fields": sorted(clean)})


def update_own_contact(crm: CRM, actor: Actor, changes: Mapping[str, Any], *,
                       preferred_channel: str | None = None,
                       marketing_opt_out: bool | None = None) -> ApplicantProfile | None:
    """A member changes their own contact details and how they want to be reached.

    ``changes`` maps fields of :data:`OWN_EDITABLE` (e-mail, mobile, address)
    to what was typed, checked like :func:`update_profile`; unchanged values are
    left out.  ``preferred_channel`` is a channel of the outbox (``""`` for the
    organisation's default); ``marketing_opt_out`` stops promotions.  The
    member is always the actor's own: nobody changes another member this way.
    """
    if actor.member_id is None or "member" not in actor.roles:
        raise PermissionDenied(actor.username, "change a member's own contact details",
                               actor.roles)
    unknown = sorted(set(changes) - set(OWN_EDITABLE))
    if unknown:
        raise ValidationError(f"cannot change {unknown[0]!r}; changeable: "
                              f"{', '.join(OWN_EDITABLE)}")
    if preferred_channel and preferred_channel not in crm.outbox.channels:
        raise ValidationError("is not a channel of this organisation",
                              field="preferred_channel")
    with crm.action("acquire.update_own_contact", actor):
        member = crm.member_row(actor.member_id)
        current = {"email": member.email or "", "mobile": member.phone or ""}
        row = ApplicationRow.get_or_none(ApplicationRow.member == member.id)
        current["address"] = row.address if row is not None else ""
        changed = {k: v for k, v in changes.items() if str(v or "").strip() != current[k]}
        if changed:
            _change(crm, member, changed, actor)
        prefs: dict[str, Any] = {}
        if preferred_channel is not None and (preferred_channel or None) != \
                member.preferred_channel:
            prefs["preferred_channel"] = preferred_channel or None
        if marketing_opt_out is not None and bool(marketing_opt_out) != \
                bool(member.marketing_opt_out):
            prefs["marketing_opt_out"] = bool(marketing_opt_out)
        if prefs:
            Member.update(**prefs).where(Member.id == member.id).execute()
            crm.touch(member.id, "acquire", "by", "preferences.updated", actor, prefs)
        return profile(crm, member.id)
