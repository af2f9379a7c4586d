"""Plugin ``acquire.registration``: from application to member.

Applicants apply at the desk (a secretary acts) or online (the web form acts,
by an actor whose channel is ``web``); the secretary checks completeness (accept, or
return with a reason the applicant is told); the board approves or rejects.
Approval assigns the member number, makes the applicant ``active``, fires
``dyncrm_acquire_member_joined``, creates the member's login with a one-time
activation token and queues the welcome message.

Library API (re-exported here): :func:`submit`, :func:`accept`,
:func:`return_to_applicant`, :func:`amend`, :func:`approve`, :func:`reject`,
:func:`get`, :func:`find`, :func:`check`, :func:`profile`, :func:`profiles`,
:func:`update_profile`, :func:`list_members`; values :class:`Application`,
:class:`ApplicantProfile`, :class:`Approval`, :class:`Outcome`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dyncrm import hookimpl
from dyncrm.i18n import N_
from dyncrm.plugin_spec import PluginSpec
from dyncrm.values import Permission
from dyncrm_acquire.registration.applications import (
    APPLICATION_STAGES,
    PLUGIN,
    ApplicantProfile,
    Application,
    Approval,
    Outcome,
    accept,
    amend,
    approve,
    check,
    duplicates,
    find,
    get,
    objections,
    profile,
    profiles,
    reject,
    return_to_applicant,
    settings,
    submit,
)
from dyncrm_acquire.registration.directory import MemberListing, details, list_members
from dyncrm_acquire.registration.profile_edit import update_profile
from dyncrm_acquire.settings import RegistrationSettings

if TYPE_CHECKING:
    from dyncrm.app import CRM
    from dyncrm.values import MemberInfo

__all__ = [
    "APPLICATION_STAGES",
    "ApplicantProfile",
    "Application",
    "Approval",
    "MemberListing",
    "Outcome",
    "RegistrationSettings",
    "accept",
    "amend",
    "approve",
    "check",
    "details",
    "duplicates",
    "find",
    "get",
    "list_members",
    "objections",
    "profile",
    "profiles",
    "reject",
    "return_to_applicant",
    "settings",
    "submit",
    "update_profile",
]


spec = PluginSpec(
    PLUGIN,
    web="dyncrm_acquire.registration.web:dyncrm_web",
    settings=RegistrationSettings,
    models="dyncrm_acquire.models:REGISTRATION_MODELS",
    migrations="migrations",
    templates="templates",
    commands="dyncrm_acquire.registration.cli:register",
    permissions=[
        Permission("members.apply", frozenset({"secretary", "admin", "public"}),
                   "enter a membership application (at the desk) or correct a returned one"),
        Permission("members.verify", frozenset({"secretary", "admin"}),
                   "check applications for completeness: accept or return them"),
        Permission("members.decide", frozenset({"admin"}),
                   "approve or reject membership applications (the board)"),
        Permission("members.edit", frozenset({"secretary", "admin"}),
                   "update a member's contact, department and employment details"),
    ],
)
spec.export(globals())


@hookimpl
def dyncrm_acquire_application_objections(crm: CRM, application: Application):
    """The built-in eligibility rules of the config (employment status, service months)."""
    conf = settings(crm)
    reasons = []
    if conf.eligible_employment_statuses and (
            application.employment_status not in conf.eligible_employment_statuses):
        reasons.append(crm.t("only employees with status {statuses} may join",
                             statuses=" or ".join(conf.eligible_employment_statuses)))
    if conf.min_service_months:
        start = application.employment_start
        today = crm.today()
        months = None if start is None else (
            (today.year - start.year) * 12 + today.month - start.month
            - (today.day < start.day))
        if months is None or months < conf.min_service_months:
            reasons.append(crm.t("members need at least {months} months of service with "
                                 "the employer", months=conf.min_service_months))
    return reasons or None


@hookimpl
def dyncrm_opening_sheets(crm: CRM):
    """The ``anggota`` sheet of ``dyncrm opening import``: the member register."""
    from dyncrm_acquire.registration.opening import opening_sheet

    return [opening_sheet()]


@hookimpl(optionalhook=True)
def dyncrm_expand_take_home_pay(crm: CRM, member_id: int):
    """The take-home pay from the member's registration profile (for the loans cap)."""
    p = profile(crm, member_id)
    return None if p is None else p.take_home_pay


#: An application's stages and the employment statuses, as a member's details show
#: them ("verified", "permanent, since ..."): message ids ("submitted", "approved" and
#: "rejected" are the loans plugin's and the core's ids already).
DETAIL_WORDS = (N_("returned"), N_("verified"), N_("permanent"), N_("contract"),
                N_("probation"), N_("other"))


def _employment(crm: CRM, p: Any) -> str:
    """``permanent, since 13 January 2020``: a sentence of message ids (translated where
    it is shown)."""
    status = p.employment_status or ""
    if not p.employment_start:
        return status
    day = crm.locale.date(p.employment_start)
    return (N_("{status}, since {date}").format(status=status, date=day) if status
            else N_("since {date}").format(date=day))


@hookimpl(tryfirst=True)
def dyncrm_member_details(crm: CRM, member: MemberInfo) -> dict[str, Any] | None:
    p = profile(crm, member.id)
    if p is None:
        return None
    facts: dict[str, Any] = {
        "KTP NIK": p.nik,
        "Employee number": p.employee_number or "",
        "Department": p.department or "",
        "Date of birth": crm.locale.date(p.date_of_birth) if p.date_of_birth else "",
        "Address": p.address,
        # values are message ids or sentences of them, said where they are shown
        "Employment": _employment(crm, p),
        "Take-home pay": crm.format_money(p.take_home_pay) if p.take_home_pay else "",
    }
    app = get(crm, member.id)
    facts[N_("Application")] = (N_("{status} ({reason})").format(status=app.status,
                                                                  reason=app.reason)
                                if app.reason else app.status)
    return {k: v for k, v in facts.items() if v}
