"""Keeping a member's registration details current (new department, new salary...)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from dyncrm.db.models import Member
from dyncrm.errors import DuplicateError, NotFoundError, ValidationError
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
    conf = settings(crm)
    with crm.action("acquire.update_profile", actor, permission="members.edit"):
        member = crm.member_row(member_ref)
        row = ApplicationRow.get_or_none(ApplicationRow.member == member.id)
        if row is None:
            raise NotFoundError("registration profile of member", member_ref)
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
                errors.append(str(exc))
        if errors:
            raise ValidationError("cannot update the profile: " + "; ".join(errors))
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
        return profile(crm, member.id)
