"""Stages and the moves between them, as data, enforced in one place.

:class:`StateMachine` serves members here and any plugin object with a
lifecycle (loans, tickets, leave requests): the allowed transitions are a
table, and an action not allowed from the current stage raises
:class:`~dyncrm.errors.IllegalTransition` naming the subject, the stage and the
action.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING

from dyncrm.dates import as_date as _date
from dyncrm.db.models import Member
from dyncrm.errors import IllegalTransition, NotFoundError, ValidationError
from dyncrm.i18n import N_
from dyncrm.values import Actor, MemberInfo, StageChange

if TYPE_CHECKING:
    from dyncrm.app import CRM


class StateMachine:
    """A named table of ``stage -> {action: next stage}``."""

    def __init__(self, name: str, transitions: Mapping[str, Mapping[str, str]]) -> None:
        self.name = name
        self.transitions = {s: dict(a) for s, a in transitions.items()}
        targets = {t for actions in self.transitions.values() for t in actions.values()}
        unknown = targets - set(self.transitions)
        if unknown:
            raise ValueError(f"{name}: transitions lead to undeclared stages {sorted(unknown)}")

    @property
    def stages(self) -> tuple[str, ...]:
        """Every stage, in declaration order."""
        return tuple(self.transitions)

    def allowed(self, stage: str) -> tuple[str, ...]:
        """Actions allowed from ``stage``."""
        return tuple(self.transitions.get(stage, {}))

    def next_stage(self, subject: str, stage: str, action: str) -> str:
        """The stage ``action`` leads to from ``stage``, or ``IllegalTransition``."""
        if stage not in self.transitions:
            raise IllegalTransition(subject, stage, action)
        try:
            return self.transitions[stage][action]
        except KeyError:
            raise IllegalTransition(subject, stage, action, self.allowed(stage)) from None

    def is_final(self, stage: str) -> bool:
        """True when no action leads out of ``stage``."""
        return not self.transitions.get(stage)


#: The actions of the lifecycles (this one and the plugins') as refusals name them,
#: ``"cannot approve loan 5: it is 'closed'"``: message ids, so that the verb is said
#: in the deployment's language inside the translated sentence.
ACTION_WORDS = (N_("approve"), N_("reject"), N_("withdraw"), N_("disburse"), N_("close"),
                N_("reopen"), N_("cancel"), N_("pay"), N_("verify"), N_("accept"),
                N_("return"), N_("resubmit"), N_("acknowledge"), N_("start"), N_("resolve"),
                N_("write_off"), N_("reverse_payout"), N_("reverse_disbursement"),
                N_("request_leave"), N_("cancel_leave"), N_("complete_leave"), N_("reply"),
                N_("assign"), N_("publish"), N_("stop"), N_("vote"))

#: A member's stages as people read them ("XYZ-2025-00003  Eko Purnomo  (active)").
STAGE_WORDS = (N_("applicant"), N_("active"), N_("leaving"), N_("inactive"), N_("rejected"))

#: The member lifecycle of DESIGN §3.
MEMBER_STAGES = StateMachine("member", {
    "applicant": {"approve": "active", "reject": "rejected"},
    "active": {"request_leave": "leaving"},
    "leaving": {"cancel_leave": "active", "complete_leave": "inactive"},
    "rejected": {},
    # a refund payout reversed (dyncrm leave reverse): the refund is owed again
    "inactive": {"reverse_payout": "leaving"},
})


def member_info(member: Member) -> MemberInfo:
    """The immutable view of a member row that hooks receive."""
    return MemberInfo(
        id=member.id, number=member.number, name=member.name, email=member.email,
        phone=member.phone, stage=member.stage, joined_on=_date(member.joined_on),
        left_on=_date(member.left_on), preferred_channel=member.preferred_channel,
        marketing_opt_out=bool(member.marketing_opt_out),
    )


def member_label(member: Member) -> str:
    """How errors name a member: number if it has one, else the applicant id."""
    if member.number:  # message ids: translated inside the sentence they are put in
        return N_("member {number}").format(number=member.number)
    return N_("applicant #{id}").format(id=member.id)


class Lifecycle:
    """Member stage changes; reach it as ``crm.lifecycle``."""

    def __init__(self, crm: CRM) -> None:
        self.crm = crm
        self.machine = MEMBER_STAGES

    def get(self, member_id: int) -> Member:
        """The member row (raises ``NotFoundError``)."""
        member = Member.get_or_none(Member.id == member_id)
        if member is None:
            raise NotFoundError("member", member_id)
        return member

    def transition(self, member_id: int, action: str, actor: Actor, *, reason: str = "",
                   on: dt.date | None = None, phase: str = "acquire",
                   payload: dict | None = None) -> StageChange:
        """Move a member through ``action``; must run inside ``crm.action``.

        Checks the table, gathers objections from ``dyncrm_stage_change_objections``
        (any reason refuses), writes the stage, records a touchpoint and fires
        ``dyncrm_member_stage_changed``, all in the caller's transaction.
        """
        member = self.get(member_id)
        old = member.stage
        new = self.machine.next_stage(member_label(member), old, action)
        on = on or self.crm.today()
        change = StageChange(member=member_info(member), old_stage=old, new_stage=new,
                             action=action, actor=actor, reason=reason, on=on)
        objections = [r for rs in self.crm.hook.dyncrm_stage_change_objections(
            crm=self.crm, change=change) for r in (rs or [])]
        if objections:
            raise ValidationError(
                f"cannot {action} {member_label(member)}: " + "; ".join(objections))
        member.stage = new
        if new == "active" and member.joined_on is None:
            member.joined_on = on
        if new == "inactive":
            member.left_on = on
        elif old == "inactive":
            member.left_on = None
        member.save()
        change = StageChange(member=member_info(member), old_stage=old, new_stage=new,
                             action=action, actor=actor, reason=reason, on=on)
        self.crm.touch(member.id, phase, "of", f"stage.{action}", actor,
                       {"from": old, "to": new, "reason": reason, **(payload or {})})
        self.crm.hook.dyncrm_member_stage_changed(crm=self.crm, change=change)
        return change

    def enrol(self, actor: Actor, name: str, *, email: str | None = None,
              phone: str | None = None, number: str | None = None,
              joined_on: dt.date | None = None, preferred_channel: str | None = None,
              marketing_opt_out: bool = False, key: str | None = None) -> MemberInfo:
        """Create an active member in one action: the public way for code to add members.

        For plugin authors, data imports and tests: the member is created as an
        applicant and approved at once (``applicant → active`` on ``joined_on``,
        default today), so ``dyncrm_stage_change_objections`` are asked and
        ``dyncrm_member_stage_changed`` fires as for any approval, with the
        touchpoint ``stage.approve``.  It does not go through a registration
        plugin's application (no NIK or duplicate checks, no welcome message,
        no ``dyncrm_acquire_member_joined``); people joining use
        ``dyncrm_acquire.registration`` instead.

        Needs ``members.enrol`` (admins; ``Actor.operator()`` holds every
        permission).  ``name``, ``email``, ``phone`` and ``number`` are checked
        like typed input (``ValidationError`` naming the field; a number already
        taken is refused).  Idempotent by ``key``: the same key again returns the
        member made the first time and writes nothing.  Runs in its own
        ``crm.action`` (a savepoint inside the caller's).
        """
        from dyncrm import inputs, text

        with self.crm.action("members.enrol", actor, key=key,
                             permission="members.enrol") as act:
            if act.replayed:
                return member_info(self.get(act.previous["member"]))
            # a name as the cooperative keeps it (an import may hold "Anggota 12" or a company)
            clean_name = text.clean_text(name, field="name", min_length=1, max_length=200)
            clean_email = inputs.email(email) if email is not None else None
            clean_phone = (text.clean_text(phone, field="phone", max_length=32) or None
                           if phone is not None else None)
            clean_number = (inputs.identifier(number, field="number", max_length=32)
                            if number is not None else None)
            if clean_number is not None and \
                    Member.select().where(Member.number == clean_number).exists():
                raise ValidationError(f"member number {clean_number} is already taken",
                                      field="number")
            row = Member.create(name=clean_name, email=clean_email, phone=clean_phone,
                                number=clean_number, preferred_channel=preferred_channel,
                                marketing_opt_out=bool(marketing_opt_out),
                                created_at=self.crm.now())
            self.transition(row.id, "approve", actor, on=joined_on)
            act.done(member=row.id)
            return member_info(self.get(row.id))
