"""Membership applications: submit, verify, return, amend, approve, reject.

An application is a core member in stage ``applicant`` plus a row of
``acquire_application`` (same id).  Its own workflow runs inside that stage::

    submitted --accept--> verified --approve--> approved   (member becomes active)
        |  ^                  |
      return|resubmit       reject --> rejected            (member becomes rejected)
        v  |
     returned --reject--> rejected

Every function runs as one ``crm.action``: a refusal changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import attrs
from peewee import fn

from dyncrm.dates import as_date as _date
from dyncrm.db.models import Member
from dyncrm.errors import DuplicateError, DyncrmError, NotFoundError, ValidationError
from dyncrm.lifecycle import StateMachine
from dyncrm.money import Money, to_minor
from dyncrm.values import Actor, MemberInfo
from dyncrm_acquire import referrals, validate
from dyncrm_acquire.models import ApplicationRow
from dyncrm_acquire.settings import ALWAYS_REQUIRED, APPLICATION_FIELDS, RegistrationSettings

if TYPE_CHECKING:
    from dyncrm.app import CRM

PLUGIN = "acquire.registration"
MAX_PAY_UNITS = 10**15

APPLICATION_STAGES = StateMachine("application", {
    "submitted": {"accept": "verified", "return": "returned", "reject": "rejected"},
    "returned": {"resubmit": "submitted", "reject": "rejected"},
    "verified": {"approve": "approved", "reject": "rejected"},
    "approved": {},
    "rejected": {},
})


@attrs.frozen
class Application:
    """A membership application as hooks and callers see it.

    ``id`` is ``None`` while the application is being checked on submission
    (objection hooks see it before it is stored); afterwards it is the
    applicant's member id.
    """

    id: int | None
    status: str
    full_name: str
    nik: str
    employee_number: str | None = None
    department: str | None = None
    email: str | None = None
    mobile: str | None = None
    address: str = ""
    date_of_birth: dt.date | None = None
    gender: str | None = None
    employment_status: str | None = None
    employment_start: dt.date | None = None
    take_home_pay: Money | None = None
    referral_code: str | None = None
    referrer_id: int | None = None
    promotion_id: int | None = None
    channel: str = "desk"
    submitted_by: str = ""
    submitted_at: dt.datetime | None = None
    member_number: str | None = None
    reason: str | None = None


@attrs.frozen
class ApplicantProfile:
    """What registration knows about a member beyond the core record.

    ``take_home_pay`` is the monthly net salary the payroll deduction cap is
    computed from (``None`` when not given).
    """

    member_id: int
    nik: str
    employee_number: str | None
    department: str | None
    date_of_birth: dt.date | None
    gender: str | None
    address: str
    employment_status: str | None
    employment_start: dt.date | None
    take_home_pay: Money | None


@attrs.frozen
class Outcome:
    """What a workflow step did; ``replayed`` when its key had been done before."""

    application: Application
    replayed: bool = False
    message_id: int | None = None


@attrs.frozen
class Approval:
    """An approved application: the new member, their login and the welcome message.

    ``activation_token`` is only set on the first run (never stored in clear);
    give it to the member yourself when ``message_id`` is ``None``.
    """

    application: Application
    member: MemberInfo
    username: str
    message_id: int | None
    activation_token: str | None
    replayed: bool = False


def settings(crm: CRM) -> RegistrationSettings:
    """The deployment's registration settings."""
    return crm.plugin_config(PLUGIN)


# --- reading ---------------------------------------------------------------------


def _money(crm: CRM, units: int | None) -> Money | None:
    return None if units is None else crm.ledger_money(units)


def _application(crm: CRM, row: ApplicationRow, member: Member) -> Application:
    return Application(
        id=member.id, status=row.status, full_name=member.name, nik=row.nik,
        employee_number=row.employee_number, department=row.department, email=member.email,
        mobile=member.phone, address=row.address, date_of_birth=_date(row.date_of_birth),
        gender=row.gender, employment_status=row.employment_status,
        employment_start=_date(row.employment_start),
        take_home_pay=_money(crm, row.take_home_pay), referral_code=row.referral_code,
        referrer_id=row.referrer_id, promotion_id=row.promotion, channel=row.channel,
        submitted_by=row.submitted_by, submitted_at=row.submitted_at,
        member_number=member.number, reason=row.reason,
    )


def _app_id(application_id: int | str) -> int:
    text = str(application_id).strip().lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise NotFoundError("application", application_id)
    return int(text)


def _row(application_id: int | str) -> ApplicationRow:
    key = _app_id(application_id)
    row = (ApplicationRow.select(ApplicationRow, Member).join(Member)
           .where(ApplicationRow.member == key).first())
    if row is None:
        raise NotFoundError("application", application_id)
    return row


def get(crm: CRM, application_id: int | str) -> Application:
    """The application with this id (``12`` or ``#12``; raises ``NotFoundError``)."""
    row = _row(application_id)
    return _application(crm, row, row.member)


def find(crm: CRM, status: str | None = None) -> list[Application]:
    """Applications, oldest first, optionally only those in ``status``."""
    query = ApplicationRow.select(ApplicationRow, Member).join(Member)
    if status is not None:
        query = query.where(ApplicationRow.status == status)
    return [_application(crm, r, r.member)
            for r in query.order_by(ApplicationRow.submitted_at, ApplicationRow.member)]


def _profile(crm: CRM, row: ApplicationRow) -> ApplicantProfile:
    return ApplicantProfile(
        member_id=row.member_id, nik=row.nik, employee_number=row.employee_number,
        department=row.department, date_of_birth=_date(row.date_of_birth), gender=row.gender,
        address=row.address, employment_status=row.employment_status,
        employment_start=_date(row.employment_start),
        take_home_pay=_money(crm, row.take_home_pay),
    )


def profile(crm: CRM, member_id: int) -> ApplicantProfile | None:
    """A member's registration profile (employment, take-home pay), or ``None``.

    The loans plugin reads ``take_home_pay`` here for the payroll deduction cap.
    """
    row = ApplicationRow.get_or_none(ApplicationRow.member == member_id)
    return None if row is None else _profile(crm, row)


def profiles(crm: CRM, member_ids: Any = None) -> dict[int, ApplicantProfile]:
    """Profiles by member id in one query (all, or those of ``member_ids``)."""
    query = ApplicationRow.select()
    if member_ids is not None:
        query = query.where(ApplicationRow.member.in_(list(member_ids)))
    return {r.member_id: _profile(crm, r) for r in query}


# --- checking what was typed ----------------------------------------------------


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check(crm: CRM, data: Mapping[str, Any], *, exclude: int | None = None,
          status: str = "submitted") -> Application:
    """Validate and normalise application ``data`` without storing anything.

    Raises one :class:`ValidationError` listing every problem (missing and
    malformed fields), then a :class:`DuplicateError` when the NIK, employee
    number or e-mail already belongs to an application or member (other than
    ``exclude``).  Returns the clean :class:`Application` (``id`` ``None``).
    """
    conf = settings(crm)
    unknown = sorted(set(data) - set(APPLICATION_FIELDS))
    if unknown:
        raise ValidationError(f"unknown field {unknown[0]!r}; fields are "
                              f"{', '.join(APPLICATION_FIELDS)}")
    today = crm.today()
    errors: list[ValidationError] = []
    clean: dict[str, Any] = {}
    required = set(conf.required_fields) | set(ALWAYS_REQUIRED)
    for field in APPLICATION_FIELDS:
        if _blank(data.get(field)) and field in required:
            errors.append(ValidationError("is required", field=field))

    def attempt(field: str, convert) -> None:
        value = data.get(field)
        if _blank(value):
            return
        try:
            clean[field] = convert(value)
        except ValidationError as exc:
            errors.append(exc if exc.field else ValidationError(str(exc), field=field))

    attempt("full_name", validate.full_name)
    attempt("date_of_birth",
            lambda v: validate.date_of_birth(v, on=today, min_age=conf.min_age))
    attempt("nik", lambda v: validate.nik(v, on=today,
                                          date_of_birth=clean.get("date_of_birth")))
    attempt("employee_number", validate.employee_number)
    attempt("department", lambda v: validate.department(v, conf.departments))
    attempt("email", validate.email)
    attempt("mobile", validate.mobile)
    attempt("address", validate.address)
    attempt("employment_status",
            lambda v: validate.choice(v, conf.employment_statuses, "employment_status"))
    attempt("employment_start", lambda v: _employment_start(v, today, clean))
    attempt("take_home_pay", lambda v: _pay(crm, v))
    attempt("referral_code", lambda v: _referrer(v, exclude))
    attempt("promotion", lambda v: _promotion(v))
    if errors:
        error = ValidationError("the application cannot be accepted: "
                                + "; ".join(str(e) for e in errors))
        error.field = errors[0].field if len(errors) == 1 else None
        raise error
    facts = clean["nik"]
    dupes = duplicates(facts.nik, clean.get("employee_number"), clean.get("email"),
                       exclude=exclude)
    if dupes:
        raise DuplicateError("the application cannot be accepted: "
                             + "; ".join(f"an application or membership with this {label} "
                                         "already exists" for label in dupes),
                             field=None)
    code, referrer = clean.get("referral_code", (None, None))
    return Application(
        id=None, status=status, full_name=clean["full_name"], nik=facts.nik,
        employee_number=clean.get("employee_number"), department=clean.get("department"),
        email=clean.get("email"), mobile=clean.get("mobile"), address=clean.get("address", ""),
        date_of_birth=clean.get("date_of_birth") or facts.birth_date, gender=facts.gender,
        employment_status=clean.get("employment_status"),
        employment_start=clean.get("employment_start"),
        take_home_pay=clean.get("take_home_pay"), referral_code=code, referrer_id=referrer,
        promotion_id=clean.get("promotion"),
    )


def _employment_start(value: Any, today: dt.date, clean: dict[str, Any]) -> dt.date:
    start = validate.date(value, "employment_start", kind="past", on=today)
    born = clean.get("date_of_birth") or getattr(clean.get("nik"), "birth_date", None)
    if start.year < 1900 or (born is not None and start < born):
        raise ValidationError("is before the applicant was born", field="employment_start")
    return start


def _pay(crm: CRM, value: Any) -> Money:
    try:
        amount = crm.money(value if isinstance(value, str | int) else str(value))
        units = to_minor(amount, crm.ledger.exponent(amount.currency))
    except (ValidationError, TypeError, ArithmeticError):
        raise ValidationError("is not an amount (e.g. 4.500.000)", field="take_home_pay") \
            from None
    if units < 0 or units > MAX_PAY_UNITS:
        raise ValidationError("must be a plausible monthly amount", field="take_home_pay")
    return amount


def _referrer(value: Any, exclude: int | None) -> tuple[str, int]:
    code = referrals.normalise(value)
    member_id = referrals.member_id_of(code)
    row = Member.get_or_none(Member.id == member_id)
    if row is None or row.stage not in ("active", "leaving") or member_id == exclude:
        raise ValidationError("belongs to no active member", field="referral_code")
    return code, member_id


def _promotion(value: Any) -> int:
    text = str(value).strip().lstrip("#")
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise ValidationError("is not a promotion number", field="promotion")
    from dyncrm_acquire.models import PromotionRow

    if not PromotionRow.table_exists() or PromotionRow.get_or_none(
            PromotionRow.id == int(text)) is None:
        raise ValidationError(f"promotion {text} does not exist", field="promotion")
    return int(text)


def duplicates(nik: str | None, employee_number: str | None, email: str | None, *,
               exclude: int | None = None) -> list[str]:
    """Which of NIK / employee number / e-mail already belong to someone else.

    Rejected applications do not count (the person may apply again).  Returns
    labels such as ``"NIK"``, never the other person's data.
    """
    open_apps = (ApplicationRow.select(ApplicationRow.member).join(Member)
                 .where(Member.stage != "rejected"))
    if exclude is not None:
        open_apps = open_apps.where(ApplicationRow.member != exclude)
    found = []
    if nik and open_apps.where(ApplicationRow.nik == nik).exists():
        found.append("NIK")
    if employee_number and open_apps.where(
            ApplicationRow.employee_number == employee_number).exists():
        found.append("employee number")
    if email:
        members = Member.select(Member.id).where(fn.LOWER(Member.email) == email,
                                                 Member.stage != "rejected")
        if exclude is not None:
            members = members.where(Member.id != exclude)
        if members.exists():
            found.append("e-mail")
    return found


def objections(crm: CRM, application: Application) -> list[str]:
    """Reasons every plugin gives to refuse ``application`` (empty: none)."""
    return [r for rs in crm.hook.dyncrm_acquire_application_objections(
        crm=crm, application=application) for r in (rs or []) if r]


# --- the workflow ---------------------------------------------------------------


def _channel(actor: Actor) -> str:
    return "web" if actor.channel == "web" else "desk"


def _units(crm: CRM, money: Money | None) -> int | None:
    return None if money is None else to_minor(money, crm.ledger.exponent(money.currency))


def submit(crm: CRM, data: Mapping[str, Any], actor: Actor, *,
           key: str | None = None) -> Outcome:
    """Submit a membership application: at the desk, or online (``actor.channel == "web"``).

    Validates every field, refuses duplicates and applications a plugin objects
    to, then creates the applicant (core member, stage ``applicant``), records
    a touchpoint, queues an acknowledgement and fires
    ``dyncrm_acquire_application_received``.
    """
    with crm.action("acquire.apply", actor, key=key, permission="members.apply") as act:
        if act.replayed:
            return Outcome(get(crm, act.previous["application"]), replayed=True)
        application = check(crm, data)
        application = attrs.evolve(application, channel=_channel(actor),
                                   submitted_by=actor.username, submitted_at=crm.now())
        reasons = objections(crm, application)
        if reasons:
            raise ValidationError("the application cannot be accepted: " + "; ".join(reasons))
        member = Member.create(name=application.full_name, email=application.email,
                               phone=application.mobile, stage="applicant",
                               created_at=crm.now())
        ApplicationRow.create(
            member=member.id, status="submitted", nik=application.nik,
            employee_number=application.employee_number, department=application.department,
            address=application.address, date_of_birth=application.date_of_birth,
            gender=application.gender, employment_status=application.employment_status,
            employment_start=application.employment_start,
            take_home_pay=_units(crm, application.take_home_pay),
            referral_code=application.referral_code, referrer=application.referrer_id,
            promotion=application.promotion_id, channel=application.channel,
            submitted_by=actor.username, submitted_at=application.submitted_at,
        )
        application = get(crm, member.id)
        crm.touch(member.id, "acquire", "by", "application.submitted", actor,
                  {"channel": application.channel})
        if application.referrer_id is not None:
            crm.touch(application.referrer_id, "acquire", "by", "referral.credited", actor,
                      {"applicant": member.id})
        queued = crm.notify_member(member.id, "acquire/application_received.txt",
                                   kind="acquire.application_received",
                                   key=f"acquire:application:{member.id}:received",
                                   application=application)
        crm.hook.dyncrm_acquire_application_received(crm=crm, application=application)
        act.done(application=member.id)
        return Outcome(application, message_id=queued.id if queued else None)


def _step(crm: CRM, row: ApplicationRow, action: str) -> str:
    return APPLICATION_STAGES.next_stage(f"application #{row.member_id}", row.status, action)


def accept(crm: CRM, application_id: int | str, actor: Actor) -> Outcome:
    """The secretary finds the application complete: it goes to the board."""
    with crm.action("acquire.verify", actor, permission="members.verify"):
        row = _row(application_id)
        row.status = _step(crm, row, "accept")
        row.verified_by, row.verified_at, row.reason = actor.username, crm.now(), None
        row.save()
        crm.touch(row.member_id, "acquire", "of", "application.accepted", actor)
        return Outcome(get(crm, row.member_id))


def return_to_applicant(crm: CRM, application_id: int | str, actor: Actor,
                        reason: str) -> Outcome:
    """Send an incomplete application back; the applicant is told ``reason``."""
    reason = validate.reason(reason)
    with crm.action("acquire.return", actor, permission="members.verify"):
        row = _row(application_id)
        row.status = _step(crm, row, "return")
        row.reason = reason
        row.save()
        application = get(crm, row.member_id)
        tp = crm.touch(row.member_id, "acquire", "for", "application.returned", actor,
                       {"reason": reason})
        queued = crm.notify_member(row.member_id, "acquire/application_returned.txt",
                                   kind="acquire.application_returned",
                                   key=f"acquire:application:{row.member_id}:returned:{tp.id}",
                                   application=application, reason=reason)
        return Outcome(application, message_id=queued.id if queued else None)


def amend(crm: CRM, application_id: int | str, changes: Mapping[str, Any],
          actor: Actor) -> Outcome:
    """Correct a returned application and submit it again (checks run again)."""
    with crm.action("acquire.amend", actor, permission="members.apply"):
        row = _row(application_id)
        new_status = _step(crm, row, "resubmit")
        current = get(crm, row.member_id)
        data = {f: getattr(current, f) for f in APPLICATION_FIELDS
                if f not in ("promotion", "referral_code") and getattr(current, f) is not None}
        if current.take_home_pay is not None:
            data["take_home_pay"] = str(current.take_home_pay.amount)
        if current.referral_code:
            data["referral_code"] = current.referral_code
        data.update({k: v for k, v in changes.items()})
        clean = check(crm, data, exclude=row.member_id)
        clean = attrs.evolve(clean, id=row.member_id, channel=row.channel,
                             submitted_by=row.submitted_by, submitted_at=row.submitted_at,
                             promotion_id=row.promotion)
        reasons = objections(crm, clean)
        if reasons:
            raise ValidationError("the application cannot be accepted: " + "; ".join(reasons))
        Member.update(name=clean.full_name, email=clean.email, phone=clean.mobile).where(
            Member.id == row.member_id).execute()
        for field in ("nik", "employee_number", "department", "address", "date_of_birth",
                      "gender", "employment_status", "employment_start", "referral_code"):
            setattr(row, field, getattr(clean, field))
        row.take_home_pay = _units(crm, clean.take_home_pay)
        row.referrer = clean.referrer_id
        row.status, row.reason = new_status, None
        row.save()
        crm.touch(row.member_id, "acquire", "by", "application.amended", actor,
                  {"fields": sorted(changes)})
        return Outcome(get(crm, row.member_id))


def _member_number(crm: CRM, conf: RegistrationSettings, on: dt.date) -> str:
    counter = "acquire.member_number"
    if conf.sequence == "yearly":
        counter += f":{on.year}"
    for _ in range(1000):
        number = conf.number_pattern.format(year=on.year, month=on.month,
                                            seq=crm.next_number(counter))
        if not Member.select().where(Member.number == number).exists():
            return number
    raise DyncrmError("could not find a free member number; check number_pattern")


def _username(conf: RegistrationSettings, member: Member) -> str:
    from dyncrm.db.models import User

    base = member.email if conf.username == "email" and member.email else member.number
    base = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "._@-") else "-"
                   for ch in base.lower()).strip("-._@") or f"member{member.id}"
    name = base[:60]
    if User.select().where(User.username == name).exists():
        name = f"{base[:50]}-m{member.id}"
    return name


def approve(crm: CRM, application_id: int | str, actor: Actor) -> Approval:
    """The board approves a verified application.

    Gathers objections again, assigns the member number, moves the applicant
    to ``active`` (``crm.lifecycle``), fires ``dyncrm_acquire_member_joined``,
    creates the member's login with a one-time activation token and queues
    the welcome message.  Approving again is a replay that changes nothing.
    """
    conf = settings(crm)
    key = _app_id(application_id)
    with crm.action("acquire.approve", actor, key=f"acquire:approve:{key}",
                    permission="members.decide") as act:
        row = _row(key)
        if act.replayed:
            return Approval(get(crm, row.member_id), crm.member(row.member_id),
                            act.previous["username"], act.previous.get("message"), None,
                            replayed=True)
        row.status = _step(crm, row, "approve")
        if conf.separate_duties and row.verified_by == actor.username:
            raise ValidationError(f"{actor.username} verified this application, so someone "
                                  "else must approve it")
        if actor.member_id == row.member_id:
            raise ValidationError("applicants cannot approve their own application")
        reasons = objections(crm, get(crm, row.member_id))
        if reasons:
            raise ValidationError(f"cannot approve application #{row.member_id}: "
                                  + "; ".join(reasons)
                                  + f" (reject it with: dyncrm member reject {row.member_id})")
        today = crm.today()
        member = row.member
        member.number = _member_number(crm, conf, today)
        member.save()
        row.decided_by, row.decided_at, row.reason = actor.username, crm.now(), None
        row.save()
        crm.lifecycle.transition(row.member_id, "approve", actor, on=today,
                                 payload={"number": member.number})
        info = crm.member(row.member_id)
        crm.hook.dyncrm_acquire_member_joined(crm=crm, member=info, actor=actor)
        member = Member.get_by_id(row.member_id)
        username = _username(conf, member)
        crm.users.add(username, roles=["member"], member_id=member.id,
                      display_name=member.name)
        token = crm.users.issue_activation(username, valid_days=conf.activation_days)
        link = (f"{conf.activation_url}?user={username}&token={token}"
                if conf.activation_url else None)
        queued = crm.notify_member(member.id, "acquire/welcome.txt", kind="acquire.welcome",
                                   key=f"acquire:welcome:{member.id}", username=username,
                                   token=token, link=link, days=conf.activation_days)
        crm.touch(member.id, "acquire", "for", "welcome.queued", actor,
                  {"username": username, "queued": queued is not None})
        message_id = queued.id if queued else None
        act.done(username=username, message=message_id, number=member.number)
        return Approval(get(crm, row.member_id), crm.member(row.member_id), username,
                        message_id, token)


def reject(crm: CRM, application_id: int | str, actor: Actor,
           reason: str | None = None) -> Outcome:
    """The board rejects an application; the applicant is told the reason.

    Without ``reason``, the objections plugins raise are the reason; with
    neither, the rejection is refused.  Rejecting again is a replay.
    """
    key = _app_id(application_id)
    with crm.action("acquire.reject", actor, key=f"acquire:reject:{key}",
                    permission="members.decide") as act:
        row = _row(key)
        if act.replayed:
            return Outcome(get(crm, row.member_id), replayed=True,
                           message_id=act.previous.get("message"))
        row.status = _step(crm, row, "reject")
        if reason is None or not str(reason).strip():
            found = objections(crm, get(crm, row.member_id))
            if not found:
                raise ValidationError("give the reason the applicant will be told",
                                      field="reason")
            reason = "; ".join(found)
        reason = validate.reason(reason[:500])
        row.decided_by, row.decided_at, row.reason = actor.username, crm.now(), reason
        row.save()
        crm.lifecycle.transition(row.member_id, "reject", actor, reason=reason)
        application = get(crm, row.member_id)
        queued = crm.notify_member(row.member_id, "acquire/application_rejected.txt",
                                   kind="acquire.application_rejected",
                                   key=f"acquire:application:{row.member_id}:rejected",
                                   application=application, reason=reason)
        crm.touch(row.member_id, "acquire", "for", "application.rejected", actor,
                  {"reason": reason})
        act.done(message=queued.id if queued else None)
        return Outcome(application, message_id=queued.id if queued else None)
